// The ClickHouse writer, a batch processor like OpenTelemetry's: write*
// encodes and queues per table; a batch is sealed by rows, bytes or age into
// one Native block (one INSERT, one part); one sender inserts sealed batches
// in order, retrying with backoff. When ClickHouse stays unreachable the
// batches go to the disk spool (up to its byte budget; past it they are
// dropped and counted) and are replayed in seq order once it answers again.
//
// No row twice: a spooled batch leaves the spool only after ClickHouse
// confirmed its insert. When an insert failed ambiguously (request sent, no
// answer: the insert may have landed) the batch is flagged, and before
// resending it the sender counts its rows by tl_batch (a per-batch id column
// in every table); found -> acknowledged without resending. On restart the
// first spooled record is always checked that way (a crash may fall between
// the insert and the ack). 18.16's plain MergeTree has no insert dedup, so
// this check is what makes replay idempotent.
import { Readable } from 'stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { ChunkSink } from './chunk_sink';
import { LatencyHistogram, type BackpressureStats, type SinkStats } from '../stats';
import { Batcher } from './batcher';
import { type Dialect, insertSettings, LEGACY } from './dialect';
import type { EncodedChunk } from './native_format';
import type { TableStage } from './stage';
import { Backoff, maybeLanded, serverRefused, Sleeper } from './retry';
import { detectDialect } from './schema';
import { bufferOf } from './buffer_tables';
import { Spool } from './spool';
import type { NativeBatchRecord } from './spool_record';
import { makeClient, type ClickHouseConfig } from './config';
import { tlsFailure } from './tls';
import { log } from '../../util/log';

/** how long an unanswered attempt may still be running before the batch is sent again */
const LATE_WAIT_MS = 10_000;
/** time for a server that came back to read the requests its sockets hold */
const LATE_SETTLE_MS = 500;
const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** every attempt of a batch has a query_id under this prefix (attemptsRunning finds them) */
const queryIdPrefix = (b: { batchId: bigint }): string => `tl-${b.batchId}-`;

export interface ClickHouseSinkOptions {
  clickhouse: ClickHouseConfig;
  /** value of every row's host column; default os.hostname() */
  host?: string;
  /** seal a table's batch at this many rows (default 50,000) */
  maxBatchRows?: number;
  /** ... or this many encoded bytes (default 4 MiB) */
  maxBatchBytes?: number;
  /** ... or when its oldest row waited this long (default 1000 ms) */
  flushIntervalMs?: number;
  /** ... plus a random share of this, drawn per batch (default 0): hosts do not flush in step */
  flushJitterMs?: number;
  /** all the memory the sink's batches may hold (default 16 MiB): the open
   * batches, the sealed ones waiting for their INSERT and the buffers kept for
   * reuse. Past it the pool lets go of its buffers, then the oldest sealed
   * batches go to the spool (counted: rows_spooled, batches_spilled), so a
   * burst that ClickHouse cannot take as fast costs disk, not memory. */
  maxMemoryBytes?: number;
  /** room() holds producers back while sealed batches in memory exceed this (default one batch's
   * bytes: the one in flight and one more wait, each at most maxBatchBytes) */
  roomBytes?: number;
  /** ... for at most this long per wait (default 2000 ms) */
  roomWaitMs?: number;
  /** failed attempts on a batch before ClickHouse is called unreachable and batches spool (default 3) */
  maxAttempts?: number;
  /** server exceptions (not network failures) on one batch before it is dropped, counted (default 10) */
  maxRejections?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** spool directory; none = batches that cannot be written are dropped (counted) */
  spoolDir?: string;
  /** spool byte budget (default 256 MiB) */
  spoolBytes?: number;
  /** per-insert timeout (default 30 s) */
  requestTimeoutMs?: number;
  /** skip version detection */
  dialect?: Dialect;
  /** --insert-buffer: insert into <table>_buffer (buffer_tables.ts), not <table> */
  insertBuffer?: boolean;
}

/** a sealed batch: in memory as staged parts (streamed; `release` returns
 * their buffers to the pool), `native` filled when it is spooled */
type Batch = NativeBatchRecord & { parts?: Uint8Array[]; bytes?: number; release?: () => void };

export class ClickHouseSink extends ChunkSink {
  readonly kind = 'clickhouse';
  protected dialect!: Dialect;
  private readonly client: ClickHouseClient;
  private readonly batcher: Batcher;
  private readonly spool: Spool | null;
  private readonly outbox: Batch[] = [];
  private outboxBytes = 0;
  private readonly writerId: number;
  private seq: bigint;
  private readonly backoff: Backoff;
  private readonly sleeper = new Sleeper();
  private readonly latency = new LatencyHistogram();
  private timer: NodeJS.Timeout | null = null;
  /** started: staged batches are sealed by age */
  private ageTimer = false;
  private pumping: Promise<void> | null = null;
  private outage = false;
  private closed = false;
  private lastError: string | undefined;
  /** the last failed attempt was an exception from the server, not a network failure */
  private lastRejected = false;
  /** the batch being sent now */
  private inflight: Batch | null = null;
  /** insert attempts made (close() waits for one more before giving up on the spool) */
  private attemptsMade = 0;
  /** producers waiting in room(), and what waiting cost */
  private waiters: Array<() => void> = [];
  private readonly bp: BackpressureStats = { waits: 0, seconds: 0, timeouts: 0 };
  /** sealed batches spooled because the sink's memory was full (ClickHouse slower than the producers) */
  private spills = 0;
  /** replayed since the spool last ran empty (for the "replayed" log line) */
  private replayedRun = { batches: 0, rows: 0 };

  constructor(readonly opts: ClickHouseSinkOptions) {
    super(opts.host);
    const c = opts.clickhouse;
    this.client = makeClient(c, { request_timeout: opts.requestTimeoutMs ?? 30_000, max_open_connections: 2 });
    this.batcher = new Batcher({
      maxRows: opts.maxBatchRows ?? 50_000,
      maxBytes: opts.maxBatchBytes ?? DEFAULT_BATCH_BYTES,
      maxAgeMs: opts.flushIntervalMs ?? 1000,
      jitterMs: opts.flushJitterMs ?? 0,
    });
    this.spool = opts.spoolDir ? new Spool({ dir: opts.spoolDir, budgetBytes: opts.spoolBytes ?? 256 << 20 }) : null;
    this.writerId = this.spool?.writerId ?? (Math.random() * 2 ** 32) >>> 0;
    this.seq = this.spool?.maxSeq ?? 0n;
    this.backoff = new Backoff(opts.backoffInitialMs ?? 200, opts.backoffMaxMs ?? 10_000);
    if (opts.dialect) this.dialect = opts.dialect;
  }

  get database(): string {
    return this.opts.clickhouse.database;
  }

  /** Detects the server version (unless opts.dialect is given). If ClickHouse
   * is down now, the 18.16 dialect is assumed (pass opts.dialect for a modern
   * server that may be down at start) and batches go the retry/spool way. */
  async start(): Promise<void> {
    if (!this.dialect) {
      try {
        this.dialect = await detectDialect(this.client);
      } catch (e) {
        this.lastError = String((e as Error).message ?? e);
        this.dialect = LEGACY;
      }
    }
    this.ageTimer = true;
    this.armAge();
    this.kick(); // replay what a previous run left in the spool
  }

  protected accept(chunk: EncodedChunk): void {
    if (this.closed) {
      this.drop(chunk.table, chunk.rows);
      return;
    }
    const full = this.batcher.add(chunk);
    if (full) this.seal(full);
    this.armAge();
  }

  /** A timer for the oldest staged batch's age, only while one is staged (an idle sink sets none). */
  private armAge(): void {
    if (!this.ageTimer || this.timer || this.closed) return;
    const at = this.batcher.nextDueAt();
    if (at === null) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.sealDue(false);
        this.armAge();
      },
      Math.max(1, at - Date.now()),
    );
    this.timer.unref();
  }

  private sealDue(all: boolean): void {
    for (const p of this.batcher.due(all)) this.seal(p);
  }

  private seal(st: TableStage): void {
    const seq = ++this.seq;
    const batchId = (BigInt(this.writerId) << 32n) | (seq & 0xffffffffn);
    const id = new Uint8Array(8);
    new DataView(id.buffer).setBigUint64(0, batchId, true);
    const s = st.seal([{ name: 'tl_batch', type: 'UInt64', value: id }]);
    const b: Batch = {
      seq,
      table: s.table,
      rows: s.rows,
      columns: s.columns,
      native: new Uint8Array(0),
      parts: s.parts,
      bytes: s.bytes,
      release: s.release,
      batchId,
      minTs: s.minTs,
      maxTs: s.maxTs,
      maybeLanded: false,
      createdNs: BigInt(Date.now()) * 1_000_000n,
      database: this.database,
    };
    // order: once anything is spooled, later batches queue behind it on disk
    if (this.spool?.pending || this.outage) {
      this.toSpool(b);
      // nothing older may be spilled now (the spool is in seq order): only the pool lets go
      if (this.memoryBytes > (this.opts.maxMemoryBytes ?? DEFAULT_MEMORY_BYTES)) this.batcher.pool.clear();
    } else {
      this.outbox.push(b);
      this.outboxBytes += b.bytes ?? b.native.length;
      this.bound();
    }
    this.kick();
  }

  /** the bytes the sink's batches hold in memory: open, sealed, pooled */
  get memoryBytes(): number {
    return this.batcher.bytes + this.outboxBytes + this.batcher.pool.bytes;
  }

  /** Keeps memoryBytes under maxMemoryBytes: the oldest sealed batches go to
   * the spool (never the one on the wire), then the pooled buffers. Only while
   * the spool is empty, so batches reach the disk in the order they were sealed
   * (one spilled after a replay acked newer ones is given the next seq by
   * Spool.append: before that it was skipped at read, and the run hung at SIGTERM). */
  private bound(): void {
    const max = this.opts.maxMemoryBytes ?? DEFAULT_MEMORY_BYTES;
    if (this.memoryBytes <= max) return;
    const before = this.outbox.length;
    this.spillOutbox(Math.max(0, max - this.batcher.bytes - this.batcher.pool.bytes));
    this.spills += before - this.outbox.length;
    if (this.memoryBytes > max) this.batcher.pool.clear(); // the spilled batches' buffers too
  }

  private shiftOutbox(at = 0): Batch {
    const [b] = this.outbox.splice(at, 1);
    this.outboxBytes -= b!.bytes ?? b!.native.length;
    if (this.waiters.length && this.hasRoom()) this.wakeWaiters();
    return b!;
  }

  /** Room while the sealed batches in memory are under the mark; always when
   * they cannot drain by waiting (ClickHouse out: they spool; closed). */
  room(): Promise<void> | null {
    if (this.hasRoom()) return null;
    const t0 = performance.now();
    this.bp.waits++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.bp.timeouts++;
        done();
      }, this.opts.roomWaitMs ?? 2000);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        this.bp.seconds += (performance.now() - t0) / 1000;
        resolve();
      };
      this.waiters.push(done);
    });
  }

  private hasRoom(): boolean {
    return this.outage || this.closed || this.outboxBytes <= (this.opts.roomBytes ?? this.opts.maxBatchBytes ?? DEFAULT_BATCH_BYTES);
  }

  private wakeWaiters(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Moves in-memory batches to the spool, oldest first, until at most
   * `keepBytes` remain, never the one being sent now (its buffers are on the
   * wire; if that send fails it follows the others to disk, out of order). */
  private spillOutbox(keepBytes = 0): void {
    const at = this.inflight !== null && this.outbox[0] === this.inflight ? 1 : 0;
    while (this.outbox.length > at && this.outboxBytes > keepBytes) this.toSpool(this.shiftOutbox(at));
  }

  private toSpool(b: Batch): void {
    const c = this.table(b.table);
    const ok = this.spool?.append(b, b.parts ?? [b.native]) ?? false;
    if (b.parts) this.done(b); // written (or refused): the staged buffers go back
    if (ok) {
      c.rows_spooled += b.rows;
      c.batches_spooled++;
      return;
    }
    this.drop(b.table, b.rows);
  }

  /** the batch's staged buffers go back to the pool */
  private done(b: Batch): void {
    delete b.parts;
    b.release?.();
    delete b.release;
  }

  private drop(table: string, rows: number): void {
    const c = this.table(table);
    c.rows_dropped += rows;
    c.batches_dropped++;
  }

  private kick(): void {
    if (this.pumping) {
      if (!this.outage) this.sleeper.wake();
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      // a batch sealed after the pump found nothing, before this ran, found it still pumping
      // (peek, not pending: a count that no record on disk answers must not
      // re-kick a pump that returns at once, a loop of microtasks)
      if (!this.closed && (this.outbox.length || (this.spool?.pending && this.spool.peek()))) this.kick();
    });
  }

  /** The one sender: spool first (oldest), then the in-memory outbox. */
  private async pump(): Promise<void> {
    for (;;) {
      const fromSpool = this.spool?.peek() ?? null;
      const b = fromSpool ?? this.outbox[0];
      if (!b) {
        this.outage = false;
        return;
      }
      if (this.closed && fromSpool) return; // on disk already: the next start replays it
      this.inflight = b;
      const ok = await this.insert(b);
      this.inflight = null;
      this.attemptsMade++;
      const c = this.table(b.table);
      if (ok) {
        this.backoff.reset();
        if (this.outage)
          log.info('sink.recovered', 'ClickHouse answers again: replaying the spool', { spool_batches: this.spool?.pending ?? 0 });
        this.outage = false;
        if (fromSpool) {
          this.spool!.ack(b.seq);
          c.rows_replayed += b.rows;
          c.batches_replayed++;
          this.replayed(b.rows);
        } else this.done(this.shiftOutbox());
        c.rows_written += b.rows;
        c.batches_written++;
        continue;
      }
      c.batches_retried++;
      attempts.set(b, (attempts.get(b) ?? 0) + 1);
      const refusals = (rejections.get(b) ?? 0) + (this.lastRejected ? 1 : 0);
      rejections.set(b, refusals);
      if (refusals >= (this.opts.maxRejections ?? 10)) {
        // the server keeps refusing this batch (not unreachable): it would block
        // every batch behind it forever, so it is dropped and counted
        if (fromSpool) this.spool!.ack(b.seq);
        else this.done(this.shiftOutbox());
        this.drop(b.table, b.rows);
        continue;
      }
      if (!fromSpool && (attempts.get(b)! >= (this.opts.maxAttempts ?? 3) || this.closed)) {
        // unreachable: everything in memory goes to disk, in order
        if (!this.outage) {
          log.warn(
            'sink.outage',
            this.spool
              ? 'ClickHouse unreachable: batches spool to disk until it answers'
              : 'ClickHouse unreachable and no spool: batches are dropped (counted)',
            { error: this.lastError, ...(this.spool ? { spool_dir: this.opts.spoolDir } : {}) },
          );
        }
        this.outage = true;
        this.spillOutbox();
      }
      if (this.closed && (fromSpool || !this.spool)) return;
      await this.sleeper.sleep(this.backoff.next());
    }
  }

  private replayed(rows: number): void {
    this.replayedRun.batches++;
    this.replayedRun.rows += rows;
    if (this.spool!.pending) return;
    log.info('sink.replayed', 'spool replayed: every batch it held is in ClickHouse', { ...this.replayedRun });
    this.replayedRun = { batches: 0, rows: 0 };
  }

  /** One attempt; true when ClickHouse has the rows (inserted now or found from an earlier attempt). */
  private async insert(b: Batch): Promise<boolean> {
    const t0 = process.hrtime.bigint();
    this.lastRejected = false;
    try {
      const spooled = b === this.spool?.peek();
      if (b.maybeLanded || (spooled && (b.seq === this.firstReplaySeq() || b.seq <= this.spool!.unsureThrough))) {
        if ((await this.countLanded(b)) > 0 || (b.maybeLanded && (await this.landedLate(b)))) {
          this.table(b.table).batches_deduplicated++;
          return true;
        }
      }
      const res = await this.client.exec({
        query: `INSERT INTO ${this.target(b)} (${b.columns.join(', ')}) FORMAT Native`,
        query_id: `${queryIdPrefix(b)}${++this.attemptSeq}`,
        values: Readable.from(b.parts ?? [b.native]), // streamed as staged: no copy into one buffer
        clickhouse_settings: insertSettings(this.dialect) as never,
      });
      for await (const _ of res.stream) {
        /* drain the (empty) response */
      }
      this.latency.observe(Number(process.hrtime.bigint() - t0) / 1e9);
      return true;
    } catch (e) {
      this.lastError = tlsFailure(e, this.opts.clickhouse.url) ?? String((e as Error).message ?? e).split('\n')[0];
      this.lastRejected = serverRefused(e);
      if (maybeLanded(e)) b.maybeLanded = true;
      return false;
    }
  }

  /** where a batch is inserted: its table, or the Buffer table in front of it (whose reads
   * include what this node's buffer holds: countLanded finds a buffered batch too) */
  private target(b: Batch): string {
    return `${b.database || this.database}.${this.opts.insertBuffer ? bufferOf(b.table) : b.table}`;
  }

  /** numbers the attempts, so that each query_id is new */
  private attemptSeq = 0;
  private replayStartSeq: bigint | null = null;
  /** the first record replayed by this process: a previous one may have inserted it and died before the ack */
  private firstReplaySeq(): bigint {
    this.replayStartSeq ??= this.spool?.peek()?.seq ?? -1n;
    return this.replayStartSeq;
  }

  /** An earlier attempt that got no answer may still land: running in the
   * server, or unread in its sockets (a frozen server reads and runs what its
   * sockets hold when it resumes, though we gave up on it). Waits while an
   * attempt of this batch runs (by query_id), lets the server read what it
   * holds, and counts again. The server is asked again after each settle: an
   * attempt it began reading during the settle is waited for too. */
  private async landedLate(b: Batch): Promise<boolean> {
    const deadline = Date.now() + LATE_WAIT_MS;
    for (;;) {
      while ((await this.attemptsRunning(b)) > 0 && Date.now() < deadline) await sleepMs(100);
      await sleepMs(LATE_SETTLE_MS);
      if (Date.now() >= deadline || (await this.attemptsRunning(b)) === 0) break;
    }
    return (await this.countLanded(b)) > 0;
  }

  /** attempts of b the server runs now; 0 when it does not let us see (the settle delay still applies) */
  private async attemptsRunning(b: Batch): Promise<number> {
    try {
      const rs = await this.client.query({
        query: `SELECT count() AS n FROM system.processes WHERE query_id LIKE '${queryIdPrefix(b)}%'`,
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ n: string | number }>();
      return Number(row?.n ?? 0);
    } catch {
      return 0;
    }
  }

  private async countLanded(b: Batch): Promise<number> {
    const rs = await this.client.query({
      query: `SELECT count() AS n FROM ${this.target(b)} WHERE host = '${sqlString(this.host)}' AND ts >= toDateTime(${b.minTs}) AND ts < toDateTime(${b.maxTs + 1}) AND tl_batch = ${b.batchId}`,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: string | number }>();
    return Number(row?.n ?? 0);
  }

  /** Seals everything pending and waits until it is written or spooled (at most
   * timeoutMs). During an outage one more attempt is made now rather than after
   * the backoff: if ClickHouse is back, the spool replays before we return. */
  async flush(timeoutMs = 10_000): Promise<void> {
    this.sealDue(true);
    const deadline = Date.now() + timeoutMs;
    const tried = this.attemptsMade;
    this.sleeper.wake();
    while ((this.outbox.length || (this.spool?.pending && (!this.outage || this.attemptsMade === tried))) && Date.now() < deadline) {
      this.kick();
      await new Promise((r) => setTimeout(r, 20));
    }
    // still not written: keep it on disk rather than in memory
    this.spillOutbox();
  }

  /** SIGTERM/SIGINT path: flush (written or spooled), stop the sender, close the client. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.ageTimer = false;
    if (this.timer) clearTimeout(this.timer);
    await this.flush(timeoutMs);
    this.closed = true;
    this.wakeWaiters();
    this.sleeper.wake();
    await this.pumping;
    this.spillOutbox();
    this.spool?.close();
    await this.client.close();
  }

  stats(): SinkStats {
    return {
      kind: this.kind,
      tables: JSON.parse(JSON.stringify(this.counters)) as SinkStats['tables'],
      queue_rows: this.batcher.rows + this.outbox.reduce((n, b) => n + b.rows, 0),
      queue_bytes: this.batcher.bytes + this.outboxBytes,
      memory_bytes: this.memoryBytes,
      memory_spills: this.spills,
      spool_bytes: this.spool?.bytes ?? 0,
      spool_batches: this.spool?.pending ?? 0,
      spool_ack_corrupt: this.spool?.ackCorrupt ?? 0,
      spool_writer_id_corrupt: this.spool?.writerIdCorrupt ?? 0,
      outage: this.outage,
      insert_latency: this.latency.snapshot(),
      backpressure: { ...this.bp },
      ...(this.lastError ? { last_error: this.lastError } : {}),
    };
  }
}

/** a batch is sealed at this many encoded bytes: a burst's open batches (one a table) stay small */
const DEFAULT_BATCH_BYTES = 4 << 20;
/** open + sealed + pooled batch bytes in memory: the open batches of a burst and a few sealed ones.
 * 16, not 32 MiB: a burst's peak RSS 0.9x for more rows through the spool (bench/burst) */
const DEFAULT_MEMORY_BYTES = 16 << 20;

const attempts = new WeakMap<Batch, number>();
const rejections = new WeakMap<Batch, number>();

/** a string literal's body (18.16 has no query parameters) */
const sqlString = (s: string): string => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
