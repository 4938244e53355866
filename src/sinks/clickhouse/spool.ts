// The disk spool: batches ClickHouse has not acknowledged, in seq order, as
// length-delimited NativeBatch records in segment files (<first seq>.seg).
// `ack` holds the last seq ClickHouse confirmed; it is rewritten (rename)
// after every confirmed insert, and a segment is deleted once every record
// in it is acknowledged, so a restart replays exactly the unconfirmed ones.
// Appends past the byte budget are refused (the caller counts the drop).
// The directory is 0700 and its files 0600: they hold every tenant's connections.
//
// An `ack` that exists but does not hold a seq (a damaged disk, a hand edit)
// is not read as 0 (that would resend every record on disk as new): it is
// moved aside to ack.corrupt, logged and counted (`ackCorrupt`), and every
// record on disk at open is marked unsure (`unsureThrough`): the sink checks
// each in ClickHouse by its batch id before sending it, so nothing already
// stored is stored again.
//
// A `writer_id` that exists but does not hold a u32 is not read as 0 either
// (batch ids are writer_id << 32 | seq: every damaged spool would then share
// writer 0 and its ids could collide with another host's): it is moved to
// writer_id.corrupt, logged, counted (`writerIdCorrupt`) and replaced by a
// fresh random id. Records already on disk keep the batch ids they were made with.
import * as fs from 'fs';
import * as path from 'path';
import * as crypto from 'crypto';
import { decodeRecords, encodeRecordParts, type NativeBatchRecord } from './spool_record';
import { log } from '../../util/log';
import { PRIVATE_FILE_MODE, privateDir } from '../../util/private_dir';

export interface SpoolOptions {
  dir: string;
  /** bytes on disk at most (all segments) */
  budgetBytes: number;
  /** a new segment starts past this size */
  segmentBytes?: number;
}

interface Segment {
  first: bigint;
  file: string;
  bytes: number;
}

export class Spool {
  private readonly segments: Segment[] = [];
  private writeFd: number | null = null;
  private readonly segmentBytes: number;
  /** records of the oldest segment not yet acknowledged (loaded on demand) */
  private head: NativeBatchRecord[] = [];
  private headSeg: Segment | null = null;
  private acked: bigint;
  private lastSeq = 0n;
  private pendingCount = 0;
  /** bytes of cut-off records found at open (a crash mid-write) */
  readonly tornBytes: number = 0;
  readonly writerId: number;
  /** 1 when the ack file was unreadable or damaged at open (moved aside to ack.corrupt) */
  readonly ackCorrupt: number = 0;
  /** records up to this seq may already be in ClickHouse (the ack was lost): check before sending */
  readonly unsureThrough: bigint = 0n;
  /** 1 when the writer_id file was damaged at open (moved aside to writer_id.corrupt, a fresh id chosen) */
  readonly writerIdCorrupt: number = 0;

  constructor(readonly opts: SpoolOptions) {
    privateDir(opts.dir);
    this.segmentBytes = opts.segmentBytes ?? 4 << 20;
    const w = this.loadWriterId();
    this.writerId = w.id;
    this.writerIdCorrupt = w.corrupt ? 1 : 0;
    const ack = this.readAck();
    this.acked = ack ?? 0n;
    let torn = 0;
    for (const f of fs
      .readdirSync(opts.dir)
      .filter((x) => /^\d{20}\.seg$/.test(x))
      .sort()) {
      const file = path.join(opts.dir, f);
      const { records, torn: t } = decodeRecords(fs.readFileSync(file));
      torn += t;
      const live = records.filter((r) => r.seq > this.acked);
      if (!live.length) {
        fs.rmSync(file, { force: true });
        continue;
      }
      this.segments.push({ first: BigInt(f.slice(0, 20)), file, bytes: fs.statSync(file).size });
      this.pendingCount += live.length;
      for (const r of records) if (r.seq > this.lastSeq) this.lastSeq = r.seq;
    }
    this.tornBytes = torn;
    if (this.acked > this.lastSeq) this.lastSeq = this.acked;
    if (ack === null) {
      this.ackCorrupt = 1;
      this.unsureThrough = this.lastSeq;
      log.error(
        'spool.ack_corrupt',
        'spool ack file damaged: moved to ack.corrupt; each spooled batch is checked in ClickHouse before it is sent',
        {
          spool_dir: opts.dir,
          batches: this.pendingCount,
        },
      );
    }
  }

  private loadWriterId(): { id: number; corrupt: boolean } {
    const f = path.join(this.opts.dir, 'writer_id');
    let text: string | null = null;
    try {
      text = fs.readFileSync(f, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') text = ''; // unreadable: damaged
    }
    if (text !== null) {
      const m = /^(\d{1,10})\n?$/.exec(text);
      if (m && Number(m[1]) < 2 ** 32) return { id: Number(m[1]), corrupt: false };
      try {
        fs.renameSync(f, path.join(this.opts.dir, 'writer_id.corrupt'));
      } catch {
        /* unmovable: overwritten below */
      }
    }
    const id = crypto.randomBytes(4).readUInt32LE(0);
    const tmp = path.join(this.opts.dir, 'writer_id.tmp');
    fs.writeFileSync(tmp, `${id}\n`, { mode: PRIVATE_FILE_MODE });
    fs.renameSync(tmp, f);
    if (text !== null) {
      log.error('spool.writer_id_corrupt', 'spool writer_id file damaged: moved to writer_id.corrupt; a fresh random writer id is used', {
        spool_dir: this.opts.dir,
        writer_id: id,
      });
    }
    return { id, corrupt: text !== null };
  }

  /** the acknowledged seq; 0 when there is no ack yet; null when the file is damaged (moved aside) */
  private readAck(): bigint | null {
    const f = path.join(this.opts.dir, 'ack');
    let text: string;
    try {
      text = fs.readFileSync(f, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0n;
      text = '';
    }
    const m = /^(\d{1,20})\n?$/.exec(text);
    if (m && BigInt(m[1]!) < 1n << 64n) return BigInt(m[1]!);
    try {
      fs.renameSync(f, path.join(this.opts.dir, 'ack.corrupt'));
    } catch {
      /* unreadable and unmovable: the next ack() replaces it */
    }
    return null;
  }

  /** the last seq used on disk: a writer continues after it */
  get maxSeq(): bigint {
    return this.lastSeq;
  }
  get pending(): number {
    return this.pendingCount;
  }
  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  /** false (nothing written) when it would pass the budget. `parts`: the
   * block as staged (r.native is ignored then), written without a copy. */
  append(r: NativeBatchRecord, parts: readonly Uint8Array[] = [r.native]): boolean {
    // A batch spilled behind newer ones (the one on the wire when the sink
    // closed) goes to the end under the next seq: under the acked mark peek()
    // would skip it, its rows lost and counted pending forever, and the sink's
    // pump re-kicked for it in a loop of microtasks (the hang at SIGTERM seen in
    // bench/burst). The seq is the spool's order only: ClickHouse matches a
    // batch by batchId.
    if (r.seq <= this.lastSeq) r = { ...r, seq: this.lastSeq + 1n };
    const bufs = encodeRecordParts(r, parts);
    const len = bufs.reduce((n, b) => n + b.length, 0);
    if (this.bytes + len > this.opts.budgetBytes) return false;
    let seg = this.writeFd !== null ? this.segments[this.segments.length - 1] : undefined;
    if (!seg || seg.bytes + len > this.segmentBytes) {
      this.closeWriter();
      seg = { first: r.seq, file: path.join(this.opts.dir, `${r.seq.toString().padStart(20, '0')}.seg`), bytes: 0 };
      this.segments.push(seg);
      this.writeFd = fs.openSync(seg.file, 'a', PRIVATE_FILE_MODE);
    }
    writeAll(this.writeFd!, bufs);
    seg.bytes += len;
    this.pendingCount++;
    if (r.seq > this.lastSeq) this.lastSeq = r.seq;
    return true;
  }

  /** The oldest unacknowledged record, or null. */
  peek(): NativeBatchRecord | null {
    while (!this.head.length) {
      const seg = this.segments[0];
      if (!seg) return null;
      // never read the segment being appended to: start a new one instead
      if (this.writeFd !== null && this.segments.length === 1) this.closeWriter();
      this.head = decodeRecords(fs.readFileSync(seg.file)).records.filter((r) => r.seq > this.acked);
      this.headSeg = seg;
      if (!this.head.length) this.dropHeadSegment();
    }
    return this.head[0]!;
  }

  /** ClickHouse confirmed the record peek() returned. */
  ack(seq: bigint): void {
    const r = this.head[0];
    if (!r || r.seq !== seq) throw new Error(`spool ack out of order: ${seq} (head ${r?.seq})`);
    this.head.shift();
    this.acked = seq;
    this.pendingCount--;
    const tmp = path.join(this.opts.dir, 'ack.tmp');
    fs.writeFileSync(tmp, `${seq}\n`, { mode: PRIVATE_FILE_MODE });
    fs.renameSync(tmp, path.join(this.opts.dir, 'ack'));
    if (!this.head.length) this.dropHeadSegment();
  }

  private dropHeadSegment(): void {
    const seg = this.headSeg ?? this.segments[0];
    if (!seg) return;
    fs.rmSync(seg.file, { force: true });
    this.segments.splice(this.segments.indexOf(seg), 1);
    this.headSeg = null;
  }

  private closeWriter(): void {
    if (this.writeFd === null) return;
    fs.fsyncSync(this.writeFd);
    fs.closeSync(this.writeFd);
    this.writeFd = null;
  }

  /** fsync and close. Idempotent. */
  close(): void {
    this.closeWriter();
  }
}

/** writev until every buffer is written (a short write continues where it stopped) */
function writeAll(fd: number, bufs: Uint8Array[]): void {
  const left = bufs.filter((b) => b.length > 0);
  while (left.length) {
    let n = fs.writevSync(fd, left);
    while (left.length && n >= left[0]!.length) n -= left.shift()!.length;
    if (n > 0) left[0] = left[0]!.subarray(n);
  }
}
