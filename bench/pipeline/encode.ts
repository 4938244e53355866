// bench/pipeline (encoder part): rows/s of poll snapshots (all 115 poll
// columns + host, ts) encoded to ClickHouse Native from the column batches,
// beside the anchor measured in the same run: the same rows as row objects
// through @clickhouse/client insert() with JSONEachRow; and rows/s each path
// gets accepted by a local ClickHouse (a private server started here).
// Medians of --reps runs. Usage: node dist/bench/pipeline/encode.js [--rows N] [--reps R] [--smoke]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as net from 'net';
import { Readable } from 'stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { PollBatch } from '../../src/layout/batch';
import { POLL_COLUMNS } from '../../src/layout/poll_columns';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { encodeSnapshots } from '../../src/sinks/clickhouse/encoders';
import { StagePool, TableStage, type StagedBatch } from '../../src/sinks/clickhouse/stage';
import { applySchema } from '../../src/sinks/clickhouse/schema';
import { LocalClickHouse } from '../../src/sinks/clickhouse/local_server';
import { median } from '../lib';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROWS = opt('--rows', smoke ? 20_000 : 200_000);
const REPS = opt('--reps', smoke ? 1 : 5);
const BATCH = 512; // PollSource's batch size
const CONGS = ['cubic', 'bbr', 'reno'];

/** POOL PollBatches with plausible values (mixed families, counters of all
 * sizes, u64 past 2^53), cycled through to make ROWS rows: PollSource reuses
 * its batch, so the encoder reads recently filled memory, as here. */
const POOL = 16;
function makeBatches(): PollBatch[] {
  const out: PollBatch[] = [];
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed;
  };
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let done = 0; out.length < POOL; done += BATCH) {
    const b = new PollBatch(BATCH);
    b.rows = BATCH;
    for (const c of POLL_COLUMNS) {
      const v = b.views[c.name]!;
      for (let i = 0; i < v.length; i++) {
        if (v instanceof BigUint64Array) v[i] = BigInt(rnd()) * BigInt(rnd() & 0xffff);
        else if (v instanceof Uint8Array) v[i] = rnd() & 0xff;
        else if (v instanceof Uint16Array) v[i] = rnd() & 0xffff;
        else v[i] = rnd();
      }
    }
    for (let i = 0; i < b.rows; i++) {
      b.u64('ts_ns')[i] = now + BigInt(done + i);
      b.u8('idiag_family')[i] = i % 4 === 0 ? 10 : 2;
      b.u16('cong')[i] = 1 + (i % CONGS.length);
      b.u64('idiag_cookie')[i] = 2n ** 60n + BigInt(done + i);
    }
    out.push(b);
  }
  return out;
}

/** The anchor's input: one object per row, as a row-oriented sink would hold them
 * (u64 as numbers or strings past 2^53; addresses left out, which only helps the anchor). */
function makeObjects(batches: PollBatch[]): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  for (let k = 0; rows.length < ROWS; k++) {
    const b = batches[k % batches.length]!;
    for (let i = 0; i < b.rows && rows.length < ROWS; i++) {
      const r: Record<string, unknown> = { host: 'bench', ts: Number(b.u64('ts_ns')[i]! / 1_000_000_000n) };
      for (const c of POLL_COLUMNS) {
        if (c.type === 'b16') continue;
        if (c.name === 'cong') {
          r['cong'] = CONGS[b.u16('cong')[i]! - 1];
          continue;
        }
        const v = b.views[c.name]![i]!;
        r[c.name] = typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v;
      }
      rows.push(r);
    }
  }
  return rows;
}

const BLOCK_ROWS = 50_000; // the sink's default maxBatchRows

/** Encodes every batch and stages them into insert-sized blocks, as the
 * sink does (buffers from a pool that blocks return to once inserted). */
const pool = new StagePool();
const TL_BATCH = [{ name: 'tl_batch', type: 'UInt64', value: new Uint8Array(8) }];
function encodeAll(batches: PollBatch[]): StagedBatch[] {
  const blocks: StagedBatch[] = [];
  const stage = new TableStage('tcp_snapshots', pool);
  for (let done = 0, k = 0; done < ROWS; done += BATCH, k++) {
    const b = batches[k % batches.length]!;
    b.rows = Math.min(BATCH, ROWS - done);
    stage.append(encodeSnapshots(b, { names: CONGS }, 'bench', LEGACY));
    if (stage.rows >= BLOCK_ROWS) blocks.push(stage.seal(TL_BATCH));
  }
  for (const b of batches) b.rows = BATCH;
  if (stage.rows) blocks.push(stage.seal(TL_BATCH));
  return blocks;
}

const cpuSec = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;
async function measure(fn: () => Promise<void> | void): Promise<{ cpu: number; wall: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  return { cpu: cpuSec(process.cpuUsage(c0)), wall: Number(process.hrtime.bigint() - t0) / 1e9 };
}

async function insertNative(client: ClickHouseClient, db: string, blocks: StagedBatch[]): Promise<void> {
  for (const block of blocks) {
    const r = await client.exec({
      query: `INSERT INTO ${db}.tcp_snapshots (${block.columns.join(', ')}) FORMAT Native`,
      values: Readable.from(block.parts),
    });
    for await (const _ of r.stream) {
      /* drain */
    }
    block.release();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlbench-'));
  const server = new LocalClickHouse({ dir, httpPort: await freePort(), tcpPort: await freePort(), interserverPort: await freePort() });
  await server.start();
  const client = createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF }, request_timeout: 300_000 });
  try {
    const db = 'tlbench';
    await applySchema(client, { database: db });
    const batches = makeBatches();
    const res: Record<string, { cpu: number[]; wall: number[] }> = {};
    const rec = (k: string, m: { cpu: number; wall: number }): void => {
      (res[k] ??= { cpu: [], wall: [] }).cpu.push(m.cpu);
      res[k]!.wall.push(m.wall);
    };
    // each path runs with only its own data on the heap: the anchor's 100k's
    // of row objects would slow every GC of ours, and the reverse
    await client.command({ query: `TRUNCATE TABLE ${db}.tcp_snapshots` });
    for (const b of encodeAll(batches)) b.release(); // warm-up (JIT, pool)
    for (let r = 0; r < REPS; r++) {
      rec(
        'encode',
        await measure(() => {
          for (const b of encodeAll(batches)) b.release();
        }),
      );
      rec('native-insert', await measure(() => insertNative(client, db, encodeAll(batches))));
    }
    const objects = makeObjects(batches);
    for (let r = 0; r < REPS; r++) {
      rec(
        'json',
        await measure(() => {
          for (const o of objects) JSON.stringify(o);
        }),
      );
      rec(
        'json-insert',
        await measure(async () => {
          for (let i = 0; i < objects.length; i += BLOCK_ROWS)
            await client.insert({ table: `${db}.tcp_snapshots`, values: objects.slice(i, i + BLOCK_ROWS), format: 'JSONEachRow' });
        }),
      );
    }
    const [count] = await (
      await client.query({ query: `SELECT count() AS n FROM ${db}.tcp_snapshots`, format: 'JSONEachRow' })
    ).json<{ n: string }>();
    const m = (k: string): { cpu: number; wall: number } => ({ cpu: median(res[k]!.cpu), wall: median(res[k]!.wall) });
    const rate = (s: number): string => (ROWS / s / 1e6).toFixed(3);
    const enc = m('encode');
    const js = m('json');
    const ni = m('native-insert');
    const ji = m('json-insert');
    process.stdout.write(
      `tcplens pipeline benchmark (encoder): ${ROWS} poll rows x ${POLL_COLUMNS.length + 3} columns, ${BATCH}-row batches, ${BLOCK_ROWS}-row inserts, ClickHouse ${(await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>())[0]!.v} local, medians of ${REPS} run(s); stored ${count!.n} rows (expected ${2 * REPS * ROWS})\n`,
    );
    process.stdout.write(
      `${'path'.padEnd(46)}${'client CPU s'.padStart(13)}${'Mrows/s/CPU'.padStart(13)}${'wall s'.padStart(9)}${'Mrows/s wall'.padStart(14)}${'x anchor'.padStart(10)}\n`,
    );
    const line = (label: string, v: { cpu: number; wall: number }, anchorCpu: number | null): void => {
      process.stdout.write(
        `${label.padEnd(46)}${v.cpu.toFixed(3).padStart(13)}${rate(v.cpu).padStart(13)}${v.wall.toFixed(3).padStart(9)}${rate(v.wall).padStart(14)}${(anchorCpu === null ? 'anchor' : `${(anchorCpu / v.cpu).toFixed(1)}x`).padStart(10)}\n`,
      );
    };
    line('JSON.stringify of row objects (anchor, no I/O)', js, null);
    line('Native encode from columns (ours, no I/O)', enc, js.cpu);
    line('insert() JSONEachRow from row objects (anchor)', ji, null);
    line('Native encode + INSERT FORMAT Native (ours)', ni, ji.cpu);
    process.stdout.write(
      `server-accepted rows/s (wall): Native ${rate(ni.wall)} M vs JSONEachRow ${rate(ji.wall)} M = ${(ji.wall / ni.wall).toFixed(1)}x; encode goal >= 1 Mrows/s on one core: ${ROWS / enc.cpu >= 1e6 ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    await client.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench/pipeline: ${(e as Error).message}\n`);
  process.exit(1);
});
