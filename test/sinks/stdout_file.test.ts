// --sink stdout and --sink file:PATH: the same write calls, rows out as
// ndjson or as length-delimited NativeBatch records that decode back equal.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { ColumnBatch } from '../../src/layout/batch';
import { StdoutSink } from '../../src/sinks/stdout';
import { FileSink, readSinkFile } from '../../src/sinks/file';
import { createSink } from '../../src/sinks';
import { decodeBlocks, mergeToBlock } from '../../src/sinks/clickhouse/native_format';
import { encodeBatch } from '../../src/sinks/clickhouse/encoders';
import { ownersTable } from '../../src/sinks/tables';
import { LEGACY, MODERN } from '../../src/sinks/clickhouse/dialect';
import { columnsFromHeader } from '../helpers/columns_h';

function ownersBatch(): ColumnBatch {
  const b = new ColumnBatch(4, columnsFromHeader('sample_columns.h', 'TL_OWNER_COLUMNS'));
  b.rows = 2;
  b.u64('idiag_cookie').set([2n ** 62n + 1n, 7n]);
  b.u32('tgid').set([100, 200]);
  b.u32('comm').set([1, 2]);
  return b;
}

/** A stream that keeps what is written to it: text() is all of it so far. */
function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { stream, text: () => text };
}

describe('stdout and file sinks', () => {
  it('stdout: one JSON object per row, u64 past 2^53 as a string, addresses as text', async () => {
    const { stream, text } = capture();
    const sink = new StdoutSink('h', stream);
    await sink.start();
    sink.writeOwners(ownersBatch(), ['sshd', 'curl'], 1_700_000_000_000_000_000n);
    const ev = new ColumnBatch(2, columnsFromHeader('event_columns.h', 'TL_EVENT_COLUMNS'));
    ev.rows = 1;
    ev.u8('idiag_family')[0] = 2;
    ev.b16('src', 0).set([10, 0, 0, 9]);
    ev.u64('ts_ns')[0] = 1_700_000_000_500_000_000n;
    sink.writeEvents(ev, []);
    await sink.close();
    const lines = text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).to.have.length(3);
    expect(lines[0]).to.include({
      table: 'socket_owners',
      host: 'h',
      idiag_cookie: (2n ** 62n + 1n).toString(),
      tgid: 100,
      comm: 'sshd',
      ts: '2023-11-14T22:13:20.000Z',
    });
    expect(lines[1]).to.include({ idiag_cookie: 7, comm: 'curl' });
    expect(lines[2]).to.include({ table: 'tcp_events', src: '10.0.0.9', dst: '0.0.0.0', ts_ns: '1700000000500000000' });
    expect(sink.stats().tables['socket_owners']!.rows_written).to.equal(2);
  });

  it('file: records with increasing seq that decode to the rows written; a reopened file continues the seq', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlfile-'));
    try {
      const file = path.join(dir, 'out.pb');
      for (let run = 0; run < 2; run++) {
        const sink = createSink(`file:${file}`, { host: 'h' });
        expect(sink).to.be.instanceOf(FileSink);
        await sink.start();
        sink.writeOwners(ownersBatch(), ['a', 'b'], 1n);
        sink.writeCoverage([
          {
            ts_ns: 2n,
            run_id: 'r1',
            view: 'poll',
            interval_ms: 1000,
            window_ms: 10_000,
            flows_seen: 5,
            flows_missed: 1,
            flows_late: 0,
            bytes_seen: 10n,
            bytes_missed: 0,
            events: 0,
            dropped: 0,
            cpu_us: 99,
          },
        ]);
        await sink.close();
      }
      const recs = readSinkFile(file);
      expect(recs.map((r) => [Number(r.seq), r.table, r.rows])).to.deep.equal([
        [1, 'socket_owners', 2],
        [2, 'coverage', 1],
        [3, 'socket_owners', 2],
        [4, 'coverage', 1],
      ]);
      const cov = decodeBlocks(recs[1]!.native);
      expect(cov[0]).to.include({ run_id: 'r1', view: 'poll', flows_missed: 1n, cpu_us: 99n });
      expect(recs[1]!.columns).to.include.members(['host', 'ts', 'run_id', 'cpu_us']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stdout rows carry the columns the Native encoder writes, in its order, with the same values', async () => {
    const { stream, text } = capture();
    const sink = new StdoutSink('h', stream);
    const b = ownersBatch();
    sink.writeOwners(b, ['sshd', 'curl'], 1_700_000_000_000_000_000n);
    await sink.close();
    const json = text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const native = decodeBlocks(
      mergeToBlock([encodeBatch(b, ownersTable(['sshd', 'curl'], 1_700_000_000_000_000_000n), 'h', LEGACY)]).block,
    );
    expect(json.map((r) => Object.keys(r).slice(1))).to.deep.equal(native.map((r) => Object.keys(r))); // after "table"
    const plain = (v: unknown): unknown => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v);
    native.forEach((r, i) => {
      for (const [k, v] of Object.entries(r)) if (k !== 'ts') expect(json[i]![k], k).to.equal(plain(v));
      expect(json[i]!['ts']).to.equal(new Date(Number(r['ts']) * 1000).toISOString());
    });
  });

  it('file: --file-dialect modern writes ts as DateTime64(9), to the nanosecond', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlfile-'));
    try {
      const file = path.join(dir, 'out.pb');
      const sink = createSink(`file:${file}`, { host: 'h', fileDialect: MODERN });
      await sink.start();
      sink.writeOwners(ownersBatch(), ['a', 'b'], 1_700_000_000_123_456_789n);
      await sink.close();
      const [rec] = readSinkFile(file);
      // DateTime64(9) decodes to the nanosecond (a legacy DateTime would be a number of seconds)
      expect(decodeBlocks(rec!.native)[0]!['ts']).to.equal(1_700_000_000_123_456_789n);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('createSink rejects what it does not know, in one line', () => {
    expect(() => createSink('kafka', {})).to.throw(/clickhouse, stdout or file:PATH expected, got 'kafka'/);
    expect(() => createSink('clickhouse', {})).to.throw(/no ClickHouse configured/);
    expect(() => createSink('file:', {})).to.throw(/needs a path/);
  });
});
