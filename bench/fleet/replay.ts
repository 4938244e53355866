// One recorded host (bench/sizing --record: what a real `tcplens run` handed
// its sink, chunk by chunk, in the spool's format) replayed as many hosts:
// each record's Native block is split back into its columns once, and each
// simulated host sends them through the sidecar's own ClickHouse sink with its
// own host name, at the recorded times shifted by its own phase and jittered.
import { ClickHouseSink, type ClickHouseSinkOptions } from '../../src/sinks/clickhouse/sink';
import {
  constStringColumn,
  fixedWidth,
  NativeCursor,
  type EncodedChunk,
  type EncodedColumn,
} from '../../src/sinks/clickhouse/native_format';
import { readSinkFile } from '../../src/sinks/file';

/** a recorded chunk: its columns (host excluded) and when it came, in ms from the recording's start */
export interface RecordedChunk {
  table: string;
  rows: number;
  columns: EncodedColumn[];
  hostType: string;
  minTs: number;
  maxTs: number;
  atMs: number;
}

export interface Recording {
  chunks: RecordedChunk[];
  /** ms from the first to the last chunk, plus one gap (the loop period) */
  spanMs: number;
}

/** The columns of one Native block (the types the encoders emit), sliced, not copied. */
export function splitBlock(buf: Uint8Array): { rows: number; columns: EncodedColumn[] } {
  const cur = new NativeCursor(buf);
  const ncols = cur.varint();
  const rows = cur.varint();
  const columns: EncodedColumn[] = [];
  for (let c = 0; c < ncols; c++) {
    const name = cur.str();
    const type = cur.str();
    const start = cur.p;
    const w = fixedWidth(type);
    if (w !== undefined) cur.p += w * rows;
    else if (type === 'String')
      for (let i = 0; i < rows; i++) {
        const n = cur.varint();
        cur.p += n;
      }
    else throw new Error(`splitBlock: unsupported type ${type}`);
    columns.push({ name, type, data: buf.subarray(start, cur.p) });
  }
  if (cur.p !== buf.length) throw new Error(`splitBlock: ${buf.length - cur.p} bytes after one block`);
  return { rows, columns };
}

/** A recording file, split per record; records of the host column's table keep their order. */
export function loadRecording(file: string): Recording {
  const recs = readSinkFile(file);
  if (recs.length === 0) throw new Error(`${file}: no records`);
  const t0 = recs[0]!.createdNs;
  const chunks: RecordedChunk[] = recs.map((r) => {
    const { rows, columns } = splitBlock(r.native);
    const host = columns.find((c) => c.name === 'host');
    if (!host) throw new Error(`${file}: ${r.table} has no host column`);
    return {
      table: r.table,
      rows,
      columns: columns.filter((c) => c.name !== 'host'),
      hostType: host.type,
      minTs: r.minTs,
      maxTs: r.maxTs,
      atMs: Number(r.createdNs - t0) / 1e6,
    };
  });
  const last = chunks[chunks.length - 1]!.atMs;
  return { chunks, spanMs: last + Math.max(1000, last / chunks.length) };
}

/** The ClickHouse sink of one simulated host: replay() puts a recorded chunk
 * through the same path as a real write (encoded chunk -> stage -> batch). */
export class ReplaySink extends ClickHouseSink {
  constructor(opts: ClickHouseSinkOptions) {
    super(opts);
  }

  replay(c: RecordedChunk): void {
    const chunk: EncodedChunk = {
      table: c.table,
      rows: c.rows,
      columns: [constStringColumn('host', c.hostType, this.host, c.rows), ...c.columns],
      minTs: c.minTs,
      maxTs: c.maxTs,
    };
    this.put(chunk);
  }
}

/** One simulated host's clock over a recording: its own phase in the loop,
 * each loop stretched or shrunk by up to +-jitter (hosts drift apart as real
 * ones do: their poll timers are not in step). */
export class HostClock {
  private i = 0;
  private loopStart: number;
  constructor(
    private readonly rec: Recording,
    startMs: number,
    private readonly jitter = 0.1,
    private readonly random: () => number = Math.random,
  ) {
    // a random phase: start part-way through the recording
    const phase = random() * rec.spanMs;
    this.i = rec.chunks.findIndex((c) => c.atMs >= phase);
    if (this.i < 0) this.i = 0;
    this.loopStart = startMs - rec.chunks[this.i]!.atMs;
  }

  /** chunks due by `now`, in order */
  due(now: number, out: RecordedChunk[]): void {
    for (;;) {
      const c = this.rec.chunks[this.i]!;
      const at = this.loopStart + c.atMs;
      if (at > now) return;
      out.push(c);
      if (++this.i >= this.rec.chunks.length) {
        this.i = 0;
        this.loopStart += this.rec.spanMs * (1 + this.jitter * (this.random() * 2 - 1));
      }
    }
  }
}
