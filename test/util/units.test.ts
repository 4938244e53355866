// One parser per kind of value: sizes and durations mean the same to every
// flag (stop 8: `trace --ring-bytes 8m` worked and `run --ring-bytes 8m` was
// refused, from two size parsers), and the same to the loadgen spec.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { durationMs, parseDuration, parseRingBytes, parseSize, sizeBytes } from '../../src/util/units';
import { parseSpec } from '../../src/loadgen/spec';
import { unreachable } from '../../src/sinks/clickhouse/retry';

const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');

describe('units: sizes and durations', () => {
  it('sizes: k, m, g and KiB..GiB are powers of 1024; KB, MB, GB powers of 1000; bare is bytes', () => {
    expect(['8m', '8MiB', '8mi', '1g', '1.5k', '1048576', '1GB', '256kb', '0'].map((t) => sizeBytes(t))).to.deep.equal([
      8 << 20,
      8 << 20,
      8 << 20,
      1024 ** 3,
      1536,
      1048576,
      1e9,
      256_000,
      0,
    ]);
    for (const bad of ['lots', '8 parsecs', '-1k', '', '1e6']) expect(sizeBytes(bad), bad).to.equal(null);
    expect(() => parseSize('lots', '--spool-bytes')).to.throw(
      /^--spool-bytes: a size like 8m, 256MiB, 1GB or 1048576 expected, got 'lots'$/,
    );
  });

  it('ring sizes: powers of two from 4k to 1g', () => {
    expect([parseRingBytes('8m'), parseRingBytes('4k'), parseRingBytes('1g'), parseRingBytes('65536')]).to.deep.equal([
      8 << 20,
      4096,
      1 << 30,
      65536,
    ]);
    for (const bad of ['8MB', '2k', '2g', '3m'])
      expect(() => parseRingBytes(bad), bad).to.throw(/--ring-bytes: .* must be a power of two between 4k and 1g/);
  });

  it('durations: us, ms, s, m, h; a bare number is seconds for flags and ms in a loadgen spec', () => {
    expect(['250us', '500ms', '1.5s', '2m', '1h', '3'].map((t) => durationMs(t))).to.deep.equal([
      0.25, 500, 1500, 120_000, 3_600_000, 3000,
    ]);
    expect(durationMs('3', 'ms')).to.equal(3);
    expect(() => parseDuration('soon', 'interval')).to.throw(/^--interval: "soon" is not a duration/);
    expect(() => parseDuration('0s', 'interval')).to.throw(/^--interval: must be greater than zero$/);
    const spec = parseSpec('duration=1.5s,bytes=4k/1m');
    expect([spec.duration, spec.up, spec.down]).to.deep.equal([{ kind: 'fixed', ms: 1500 }, 4096, 1 << 20]);
  });

  it('run and trace read --ring-bytes alike (both refuse what neither can use, in one line)', () => {
    const help = (cmd: string, ring: string) =>
      spawnSync(
        process.execPath,
        [
          BIN,
          cmd,
          '--ring-bytes',
          ring,
          '--duration',
          '1ms',
          ...(cmd === 'run' ? ['--sink', 'stdout', '--views', 'poll', '--netns', 'host', '--listen', '127.0.0.1:0'] : ['--format', 'none']),
        ],
        { encoding: 'utf8' },
      );
    for (const cmd of ['run', 'trace']) {
      const bad = help(cmd, '3m');
      expect(bad.status, `${cmd} 3m`).to.equal(2);
      expect(bad.stderr.trim().split('\n'), `${cmd} 3m`).to.have.length(1);
      expect(bad.stderr).to.match(/--ring-bytes: "3m" must be a power of two/);
    }
  });

  it("ClickHouse unreachable: by error code (or the client's timeout), never a server that answered", () => {
    const coded = (code: string): Error => Object.assign(new Error('x'), { code });
    for (const c of ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT'])
      expect(unreachable(coded(c)), c).to.equal(true);
    expect(unreachable(new Error('Timeout error.'))).to.equal(true);
    expect(unreachable(new Error("Code: 60, e.displayText() = DB::Exception: Table tcplens.x doesn't exist"))).to.equal(false);
    expect(unreachable(coded('EACCES'))).to.equal(false);
  });
});
