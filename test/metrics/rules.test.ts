// The alert rules pass promtool's checks and their unit tests.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { skipIf } from '../helpers/skip';

const DIR = path.resolve(__dirname, '../../../deploy/prometheus');
const PROMTOOL = '/usr/bin/promtool';

describe('alert rules (promtool)', () => {
  before(function () {
    skipIf(this, !fs.existsSync(PROMTOOL), 'promtool not installed (apt-get install prometheus)');
  });

  const run = (...args: string[]): { code: number | null; out: string } => {
    const r = spawnSync(PROMTOOL, args, { cwd: DIR, encoding: 'utf8' });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };

  it('promtool check rules: valid, every rule found', () => {
    const r = run('check', 'rules', 'tcplens-rules.yml');
    expect(r.code, r.out).to.equal(0);
    const rules = [...fs.readFileSync(path.join(DIR, 'tcplens-rules.yml'), 'utf8').matchAll(/^\s+- alert: /gm)].length;
    expect(r.out).to.match(new RegExp(`SUCCESS: ${rules} rules found`));
  });

  it('promtool test rules: every alert fires when it must and not before', () => {
    const r = run('test', 'rules', 'tcplens-rules.test.yml');
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/SUCCESS/);
  });

  it('every alert has a unit test', () => {
    const rules = [...fs.readFileSync(path.join(DIR, 'tcplens-rules.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    const tests = fs.readFileSync(path.join(DIR, 'tcplens-rules.test.yml'), 'utf8');
    for (const a of rules) expect(tests, a).to.match(new RegExp(`alertname: ${a}\\b[\\s\\S]*?exp_labels`));
  });
});
