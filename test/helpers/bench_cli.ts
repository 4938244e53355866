// A benchmark's option checks, run for real: each bad command line gives one
// line on stderr, `<name>: <message>`, and exit 2, before anything starts.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../../..');

/** The test of a benchmark's bad command lines, each case [options, message].
 * argv0: the command before the options (e.g. ['bash', 'bench/fleet/run.sh']). Call inside describe(). */
export function itRefusesBadOptions(name: string, argv0: string[], cases: ReadonlyArray<readonly [readonly string[], string]>): void {
  it('bad options: one line, exit 2, before anything starts', () => {
    for (const [args, msg] of cases) {
      const r = spawnSync(argv0[0]!, [...argv0.slice(1), ...args], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).to.equal(2);
      expect(r.stderr).to.equal(`${name}: ${msg}\n`);
    }
  });
}
