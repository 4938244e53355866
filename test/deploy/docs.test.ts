// docs/: every link resolves, and the tables that restate the code agree
// with it: every capability of src/preflight/cap_table.ts with its views,
// every metric the code registers and every alert rule, and the sizing
// figures as bench/sizing printed them, for 1k, 10k and 100k sockets.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { CAPS_ALL_NAMESPACES, CAPS_OWN_NAMESPACE, capName } from '../../src/preflight/cap_table';

const ROOT = path.resolve(__dirname, '../../..');
const DOCS = path.join(ROOT, 'docs');
const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');

describe('docs/', () => {
  const files = fs.readdirSync(DOCS).filter((f) => f.endsWith('.md'));

  it('the README links to docs/, and every relative link of the README and docs/ resolves', () => {
    expect(read('README.md')).to.include('](docs/README.md)');
    for (const file of ['README.md', ...files.map((f) => `docs/${f}`)]) {
      for (const m of read(file).matchAll(/\]\(([^)#\s]+)(#[^)\s]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        expect(fs.existsSync(path.join(ROOT, path.dirname(file), target)), `${file} -> ${target}`).to.equal(true);
      }
    }
    for (const f of files.filter((f) => f !== 'README.md'))
      expect(read('docs/README.md'), `docs/README.md lists ${f}`).to.include(`](${f})`);
  });

  it('capabilities.md has a row per capability of each set, naming the views it serves', () => {
    const text = read('docs/capabilities.md');
    for (const c of [...CAPS_ALL_NAMESPACES, ...CAPS_OWN_NAMESPACE]) {
      const rows = text.split('\n').filter((l) => l.startsWith(`| \`${capName(c.cap)}\` |`));
      expect(rows, capName(c.cap)).to.have.length.at.least(1);
      expect(
        rows.some((r) => r.split('|')[2]!.trim() === c.views.join(', ')),
        `${capName(c.cap)}: ${c.views.join(', ')}`,
      ).to.equal(true);
    }
  });

  it('metrics.md names every tcplens_* metric the code registers and every alert rule', () => {
    const text = read('docs/metrics.md');
    const dir = path.join(ROOT, 'src/metrics');
    const names = new Set<string>();
    for (const f of fs.readdirSync(dir)) {
      for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/'(tcplens_[a-z0-9_]+)'/g)) names.add(m[1]!);
    }
    expect(names.size).to.be.above(40);
    for (const n of names) expect(text, n).to.match(new RegExp(`\\b${n}\\b`));
    for (const file of ['deploy/prometheus/tcplens-rules.yml', 'deploy/prometheus/tcp-health-rules.yml']) {
      const rules = parse(read(file)) as { groups: Array<{ rules: Array<{ alert: string }> }> };
      for (const r of rules.groups.flatMap((g) => g.rules)) expect(text, r.alert).to.include(`\`${r.alert}\``);
    }
  });

  it("sizing.md carries bench/sizing's output for 1k, 10k and 100k sockets, anchors beside", () => {
    const text = read('docs/sizing.md');
    for (const n of [1000, 10000, 100000]) {
      expect(text, `the summary line of ${n} sockets`).to.match(
        new RegExp(
          `^sizing ${n}: \\d+ rows/day, \\d+ bytes/day, poll row [\\d.]+ B on disk, inet_diag \\d+ B/socket, [\\d.]+ inserts/s$`,
          'm',
        ),
      );
    }
    expect(text).to.include('| inet_diag reply (anchor) | ss -tinmHO text (anchor) |');
    expect(text).to.include('npm run bench:sizing');
  });
});
