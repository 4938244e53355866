// The TypeScript decoders of file and user bytes under seeded random
// mutation (a property test, not coverage-guided): the spool's protobuf
// records and its ack/writer files, the flag value parsers (durations,
// sizes, ring sizes, log levels, event kinds, ports), TCPLENS_* values and
// --config files. Whatever the input: a value in range, or a typed error
// (TcplensError with a code) that the CLI prints as one line; never another
// exception, never a hang.
//
// Why not @jazzer.js/core (coverage-guided): its 4.0.0 ships only a prebuilt
// fuzzer addon linked against glibc 2.38 (Debian 12 has 2.36: it does not
// load), and 2.1.0 fetches its binary from GitHub at install (prebuild-install)
// or builds libFuzzer from a download; neither works from the npm registry
// and Debian alone.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import yargs from 'yargs';
import { prng } from '../helpers/nlrec';
import { decodeRecords, encodeRecord, type NativeBatchRecord } from '../../src/sinks/clickhouse/spool_record';
import { Spool } from '../../src/sinks/clickhouse/spool';
import { parseDuration, parseRingBytes, parseSize } from '../../src/util/units';
import { parseLevel } from '../../src/util/log';
import { parseKinds, parsePorts } from '../../src/cli/trace';
import { envDefaults, envName, withRunOptions } from '../../src/run/options';
import { TcplensError } from '../../src/util/errors';
import { joinDashValues } from '../../src/cli/main';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SEED = 0x14f022;

function record(seq: number, rnd: () => number): NativeBatchRecord {
  const native = new Uint8Array(1 + Math.floor(rnd() * 200)).map(() => Math.floor(rnd() * 256));
  return {
    seq: BigInt(seq),
    table: `t${seq % 3}`,
    rows: Math.floor(rnd() * 1000),
    columns: ['ts_ns', 'idiag_cookie', `c${seq}`],
    native,
    batchId: BigInt(seq) * 7919n,
    minTs: 1700000000 + seq,
    maxTs: 1700000100 + seq,
    maybeLanded: seq % 2 === 0,
    createdNs: 1700000000000000000n + BigInt(seq),
    database: seq % 2 ? 'tcplens' : '',
  };
}

/** Damage: flips, a cut, an inserted or a duplicated run of bytes. */
function mutate(base: Uint8Array, rnd: () => number): Uint8Array {
  let b = Uint8Array.from(base);
  const pick = (n: number): number => Math.floor(rnd() * n);
  for (let k = 0, n = 1 + pick(4); k < n; k++) {
    const op = pick(5);
    if (op <= 1 && b.length) {
      const i = pick(b.length);
      b[i] = b[i]! ^ (1 + pick(255));
    } else if (op === 2) b = b.subarray(0, pick(b.length + 1));
    else if (op === 3) {
      const at = pick(b.length + 1);
      const ins = new Uint8Array(1 + pick(12)).map(() => (rnd() < 0.5 ? 0xff : pick(256)));
      b = Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
    } else if (b.length) {
      const at = pick(b.length);
      const run = b.subarray(at, at + 1 + pick(64));
      b = Uint8Array.from([...b.subarray(0, at), ...run, ...b.subarray(at)]);
    }
  }
  return b;
}

/** Runs fn; returns the error it threw (or null), failing on any untyped one. */
function typedOrNothing(fn: () => unknown, what: string): TcplensError | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (!(e instanceof TcplensError)) expect.fail(`${what}: ${(e as Error).stack ?? String(e)}`);
    expect((e as TcplensError).code, what).to.match(/^E[A-Z]+$/);
    return e as TcplensError;
  }
}

describe('TypeScript decoders under seeded random mutation', function () {
  this.timeout(300_000);
  const rnd = prng(SEED);
  const recs = [1, 2, 3, 4, 5].map((s) => record(s, rnd));
  const encoded = recs.map(encodeRecord);
  const stream = Uint8Array.from(encoded.flatMap((e) => [...e]));
  const ends = encoded.reduce<number[]>((acc, e) => [...acc, (acc[acc.length - 1] ?? 0) + e.length], []);

  it('spool records: a stream cut at every byte decodes the whole records before the cut, the rest counts as torn', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const whole = ends.filter((e) => e <= cut);
      const { records, torn } = decodeRecords(stream.subarray(0, cut));
      expect(records.length, `cut ${cut}`).to.equal(whole.length);
      expect(torn, `cut ${cut}`).to.equal(cut - (whole[whole.length - 1] ?? 0));
      records.forEach((r, i) => expect(r.seq).to.equal(recs[i]!.seq));
    }
  });

  it('spool records: 20,000 damaged streams never throw; what decodes is well typed and decodes again the same', () => {
    let changed = 0;
    for (let it = 0; it < 20_000; it++) {
      const bad = mutate(stream, rnd);
      const at = `iteration ${it} (seed ${SEED})`;
      let out: ReturnType<typeof decodeRecords>;
      try {
        out = decodeRecords(bad);
      } catch (e) {
        expect.fail(`${at}: decodeRecords threw ${(e as Error).stack}`);
      }
      expect(out.torn, at).to.be.within(0, bad.length);
      for (const r of out.records) {
        expect(typeof r.seq, at).to.equal('bigint');
        expect(typeof r.table, at).to.equal('string');
        expect(Number.isFinite(r.rows), at).to.equal(true);
        expect(r.native, at).to.be.instanceOf(Uint8Array);
        expect(Array.isArray(r.columns), at).to.equal(true);
      }
      const again = decodeRecords(bad.subarray(0, bad.length - out.torn));
      expect(again.records.length, at).to.equal(out.records.length);
      expect(again.torn, at).to.equal(0);
      if (out.records.length !== recs.length || out.torn) changed++;
    }
    expect(changed).to.be.greaterThan(10_000); // the damage reached the decoder
  });

  it('spool directories: damaged segments and ack/writer_id files open without throwing and drain what they hold', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-spoolfuzz-'));
    try {
      for (let it = 0; it < 300; it++) {
        const dir = path.join(base, String(it));
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, `${'1'.padStart(20, '0')}.seg`), mutate(stream, rnd));
        const junk = ['', '3', '-1', 'x', '99999999999999999999999', '1e3', '\u0000', '2\n2'];
        if (rnd() < 0.7) fs.writeFileSync(path.join(dir, 'ack'), junk[Math.floor(rnd() * junk.length)]!);
        if (rnd() < 0.5) fs.writeFileSync(path.join(dir, 'writer_id'), junk[Math.floor(rnd() * junk.length)]!);
        const at = `iteration ${it} (seed ${SEED})`;
        let s: Spool;
        try {
          s = new Spool({ dir, budgetBytes: 1 << 20 });
        } catch (e) {
          expect.fail(`${at}: the spool did not open: ${(e as Error).stack}`);
        }
        expect(s.pending, at).to.be.at.least(0);
        let drained = 0;
        for (let r = s.peek(); r && drained <= s.pending + 10; r = s.peek()) {
          s.ack(r.seq);
          drained++;
        }
        expect(s.peek(), at).to.equal(null);
        expect(s.pending, at).to.equal(0);
        expect(Number.isInteger(s.writerId) && s.writerId >= 0, at).to.equal(true);
      }
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  /** Random flag-value text: digits, units, signs, exponents, spaces, control and non-ASCII characters. */
  function valueText(): string {
    const parts = [
      '1',
      '0',
      '9',
      '00',
      '.',
      '5',
      'e',
      'E',
      '-',
      '+',
      ' ',
      '\n',
      '\t',
      'ms',
      's',
      'm',
      'h',
      'us',
      'k',
      'KiB',
      'MB',
      'g',
      'x',
      ',',
      'all',
      'close',
      'reset_sent',
      'info',
      'debug',
      '\u0000',
      'é',
      '9'.repeat(400),
      '0x10',
      'Infinity',
      'NaN',
    ];
    let s = '';
    for (let k = 0, n = 1 + Math.floor(rnd() * 6); k < n; k++) s += parts[Math.floor(rnd() * parts.length)];
    return s;
  }

  it('flag values: 20,000 random texts per parser give a value in range or one typed usage error', () => {
    for (let it = 0; it < 20_000; it++) {
      const text = valueText();
      const at = `${JSON.stringify(text)}`;
      let v: unknown;
      if (!typedOrNothing(() => (v = parseDuration(text, 'interval')), `parseDuration ${at}`))
        expect(Number.isFinite(v) && (v as number) > 0, `parseDuration ${at} = ${String(v)}`).to.equal(true);
      if (!typedOrNothing(() => (v = parseSize(text, '--spool-bytes')), `parseSize ${at}`))
        expect(Number.isSafeInteger(v) && (v as number) >= 0, `parseSize ${at} = ${String(v)}`).to.equal(true);
      if (!typedOrNothing(() => (v = parseRingBytes(text)), `parseRingBytes ${at}`))
        expect(v as number, at).to.satisfy((n: number) => n >= 4096 && n <= 1 << 30 && (n & (n - 1)) === 0);
      if (!typedOrNothing(() => (v = parseLevel(text)), `parseLevel ${at}`)) expect(v).to.be.oneOf(['debug', 'info', 'warn', 'error']);
      if (!typedOrNothing(() => (v = parseKinds(text)), `parseKinds ${at}`)) expect(v as number).to.be.within(0, 0xfe);
      if (!typedOrNothing(() => (v = parsePorts(text)), `parsePorts ${at}`))
        for (const p of v as number[]) expect(p, at).to.be.within(1, 65535);
    }
  });

  it('TCPLENS_* values: random texts for every run flag are used or reported as one problem each, never thrown', () => {
    const flags = ['interval', 'netns', 'max-flows', 'log-level', 'clickhouse-url', 'metrics-port'];
    for (let it = 0; it < 2_000; it++) {
      const env: NodeJS.ProcessEnv = {};
      for (const f of flags) if (rnd() < 0.5) env[envName(f)] = valueText();
      const problems: string[] = [];
      expect(() => envDefaults(withRunOptions(yargs([]), {}), env, problems), JSON.stringify(env)).to.not.throw();
      for (const p of problems) expect(p).to.match(/^TCPLENS_[A-Z_]+: /);
    }
  });

  it("a negative value (--interval -1s) reaches the flag's own check: one line, exit 2", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tcplens.js'), 'run', '--interval', '-1s'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
    expect(r.stderr).to.match(/^tcplens: --interval: "-1s" is not a duration/);
    // the rewrite keeps plain values and flags apart
    expect(joinDashValues(['run', '--interval', '-1s', '-h', '--netns', 'x'])).to.deep.equal([
      'run',
      '--interval=-1s',
      '-h',
      '--netns',
      'x',
    ]);
  });

  it('--config: a missing, binary or cut-off JSON file is one line on stderr and exit 2, not a stack trace', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-cfgfuzz-'));
    try {
      const good = Buffer.from(JSON.stringify({ interval: '5s', netns: 'all', 'log-level': 'info' }));
      const cases: [string, Buffer | null][] = [
        ['missing', null],
        ['binary', Buffer.from(mutate(good, rnd).map(() => Math.floor(rnd() * 256)))],
        ['cut', good.subarray(0, good.length - 3)],
      ];
      for (const [name, bytes] of cases) {
        const file = path.join(dir, `${name}.json`);
        if (bytes) fs.writeFileSync(file, bytes);
        const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tcplens.js'), 'run', '--config', file], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(r.status, `${name}: ${r.stderr}`).to.equal(2);
        expect(r.stderr.trim().split('\n'), `${name}: ${r.stderr}`).to.have.length(1);
        expect(r.stderr, name).to.match(/^tcplens: .*config/i);
        expect(r.stderr, name).to.not.match(/\n\s+at /);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
