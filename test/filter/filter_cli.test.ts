// --filter's bad expressions: one line naming the position, exit 2, before
// the CLI touches a socket (so these run on the host's kernel only; the
// kernel matrix runs filter.test.ts, the kernel's side of the filter).
import { expect } from 'chai';
import { execFile } from 'child_process';
import * as path from 'path';

const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');

describe('--filter: a bad expression is one usage line', function () {
  this.timeout(60_000);
  for (const [expr, msg] of [
    ['state establishd', /^tcplens: --filter: "establishd" at position 7 is not a state \(established, /],
    ['exclude', /^tcplens: --filter: a state expected at position 8 \(end of the expression\)$/],
    ['sport = :http', /^tcplens: --filter: "http" at position 9 is not a port \(0-65535\)$/],
    ['src 10.0.0.0/40', /^tcplens: --filter: prefix \/40 at position 5 is longer than the address \(32 bits\)$/],
    ['( sport = :1', /^tcplens: --filter: '\)' expected at position 13 \(end of the expression\)$/],
    ['sport = :1 port', /^tcplens: --filter: unknown "port" at position 12/],
  ] as const) {
    it(`a bad expression (${expr}) is one line naming the position, exit 2`, async () => {
      const r = await new Promise<{ code: number; stderr: string }>((res) =>
        execFile('node', [BIN, 'poll', '--netns', 'host', '--filter', expr], (err, _o, stderr) =>
          res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
        ),
      );
      expect(r.code).to.equal(2);
      expect(r.stderr.trim()).to.match(msg);
    });
  }
});
