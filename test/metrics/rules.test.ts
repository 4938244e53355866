// The alert rules (the pipeline's and the host's TCP health) pass promtool's
// checks and their unit tests, and every alert has a test.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { skipIf } from '../helpers/skip';

const DIR = path.resolve(__dirname, '../../../deploy/prometheus');
const PROMTOOL = '/usr/bin/promtool';
/** each rule file and its promtool unit tests */
const FILES: ReadonlyArray<[string, string, { silent: boolean }]> = [
  ['tcplens-rules.yml', 'tcplens-rules.test.yml', { silent: false }],
  // every TCP health alert also has a case where it must stay silent
  ['tcp-health-rules.yml', 'tcp-health-rules.test.yml', { silent: true }],
];

describe('alert rules (promtool)', () => {
  before(function () {
    skipIf(this, !fs.existsSync(PROMTOOL), 'promtool not installed (apt-get install prometheus)');
  });

  const run = (...args: string[]): { code: number | null; out: string } => {
    const r = spawnSync(PROMTOOL, args, { cwd: DIR, encoding: 'utf8' });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const alertsOf = (file: string): string[] =>
    [...fs.readFileSync(path.join(DIR, file), 'utf8').matchAll(/^\s+- alert: (\w+)/gm)].map((m) => m[1]!);

  for (const [rules, tests, want] of FILES) {
    describe(rules, () => {
      it('promtool check rules: valid, every rule found', () => {
        const r = run('check', 'rules', rules);
        expect(r.code, r.out).to.equal(0);
        expect(r.out).to.match(new RegExp(`SUCCESS: ${alertsOf(rules).length} rules found`));
      });

      it('promtool test rules: every alert fires when it must and not before', () => {
        const r = run('test', 'rules', tests);
        expect(r.code, r.out).to.equal(0);
        expect(r.out).to.match(/SUCCESS/);
      });

      it(`every alert has a unit test that expects it firing${want.silent ? ', and one that expects it silent' : ''}`, () => {
        const text = fs.readFileSync(path.join(DIR, tests), 'utf8');
        for (const a of alertsOf(rules)) {
          expect(text, a).to.match(new RegExp(`alertname: ${a}\\b[\\s\\S]*?exp_labels`));
          if (want.silent) expect(text, `${a}: a test where it must not fire`).to.match(new RegExp(`alertname: ${a}, exp_alerts: \\[\\]`));
        }
      });
    });
  }

  it('every TCP health alert names the tcplens query question to open next', () => {
    const QUESTIONS = ['retransmit-top', 'rtt-by-peer', 'handshake-failures', 'resets-by-peer', 'slow-endpoints', 'listen-overflows'];
    const text = fs.readFileSync(path.join(DIR, 'tcp-health-rules.yml'), 'utf8');
    const runbooks = [...text.matchAll(/^\s+runbook: "(.*)"$/gm)].map((m) => m[1]!);
    expect(runbooks).to.have.length(alertsOf('tcp-health-rules.yml').length);
    for (const r of runbooks) expect(r).to.match(new RegExp(`^tcplens query (${QUESTIONS.join('|')})\\b`));
  });
});
