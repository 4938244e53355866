// A process that writes through a ClickHouseSink until it gets SIGTERM, then
// closes the sink as `tcplens run` does and prints how many rows it accepted.
// argv: url database spoolDir|-  ; prints "ready" once writing, "accepted N" at exit.
import { ClickHouseSink } from '../../src/sinks/clickhouse/sink';
import { pollCycleRows } from './sink_rows';

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
    const rows = pollCycleRows(100, accepted, 'w');
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
