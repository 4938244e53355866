// A process that writes through a ClickHouseSink until it gets SIGTERM, then
// closes the sink as `tcplens run` does and prints how many rows it accepted.
// argv: url database spoolDir|-  ; prints "ready" once writing, "accepted N" at exit.
import { ClickHouseSink } from '../../src/sinks/clickhouse/sink';
import type { PollCycleRow } from '../../src/sinks/rows';

const [url, database, spoolDir] = process.argv.slice(2);
const sink = new ClickHouseSink({
  clickhouse: { url: url!, user: 'default', password: '', database: database! },
  host: 'sigterm',
  flushIntervalMs: 5000,
  maxBatchRows: 1_000_000, // nothing leaves by itself: close() must flush it
  ...(spoolDir && spoolDir !== '-' ? { spoolDir } : {}),
});

let accepted = 0;
let stopping = false;
async function main(): Promise<void> {
  await sink.start();
  process.stdout.write('ready\n');
  while (!stopping) {
    const ts = BigInt(Date.now()) * 1_000_000n;
    const rows: PollCycleRow[] = Array.from({ length: 100 }, (_, j) => ({
      ts_ns: ts,
      netns_inode: 1,
      netns_name: 'w',
      duration_us: 0,
      sockets: accepted + j,
      batches: 0,
      bytes: 0,
      errors: 0,
      errno: 0,
      error_code: '',
    }));
    sink.writePollCycles(rows);
    accepted += rows.length;
    await new Promise((r) => setTimeout(r, 5));
  }
}
process.on('SIGTERM', () => {
  stopping = true;
  void sink.close().then(() => {
    process.stdout.write(`accepted ${accepted} written ${sink.stats().tables['poll_cycles']?.rows_written ?? 0}\n`);
    process.exit(0);
  });
});
void main();
