// Bad input to tcplens compare: one line, exit 2, nothing left behind.
import { expect } from 'chai';
import { spawnSync, execFileSync } from 'child_process';
import * as path from 'path';

const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');
// Other programs may add namespaces meanwhile: look at ours only.
const loadgenNetns = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('tl-loadgen-'));
const tcplens = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CLICKHOUSE_PASSWORD: '' } });

describe('tcplens compare: bad input', () => {
  const cases: Array<[string[], RegExp]> = [
    [['compare', '--loadgen', 'rate=10,flows=abc'], /--loadgen: flows: "abc" is not a number/],
    [['compare', '--loadgen', 'duration=weibull:5ms'], /unknown distribution "weibull"/],
    [['compare'], /name what to watch: --loadgen SPEC .* or --netns NAME/],
    [['compare', '--netns', 'host', '--intervals', '10ms,fast'], /--intervals: "fast" is not a duration/],
    [['compare', '--netns', 'host', '--views', 'poll,sniffer'], /--views: unknown view "sniffer"/],
    [['compare', '--netns', 'tl-no-such-netns-xyz', '--duration', '1s'], /no such network namespace/],
    [['compare', '--from-clickhouse', '--clickhouse-url', 'http://127.0.0.1:9'], /cannot reach ClickHouse at http:\/\/127\.0\.0\.1:9/],
    [['compare', '--from-clickhouse', '--clickhouse-url', 'http://127.0.0.1:9', '--database', 'x;drop'], /bad database name 'x;drop'/],
    [['compare', '--from-clickhouse'], /--from-clickhouse: name the server: --clickhouse-url or TCPLENS_CLICKHOUSE_URL/],
  ];
  for (const [args, re] of cases) {
    it(`${args.slice(1).join(' ')} -> one line, exit 2`, () => {
      const before = loadgenNetns();
      const r = tcplens(args);
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(re);
      expect(r.stdout).to.equal('');
      expect(loadgenNetns()).to.deep.equal(before);
    });
  }
});
