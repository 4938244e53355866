// tcplens poll: the inet_diag view on its own, printed like ss or as JSON.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { PollSource, type CycleResult } from '../sources/poll';
import { parseNetnsSelector } from '../netns/select';
import { parseStates } from '../format/tcp_states';
import { parseDuration } from '../util/duration';
import { rowToRecord } from '../format/record';
import { tableHeader, tableRow } from '../format/table';
import { Output } from '../util/output';
import { usage } from '../util/errors';
import { exitCodeOf, logPreflightOnce, runPreflight } from '../preflight';

type Format = 'table' | 'json' | 'ndjson' | 'none';

interface PollArgs {
  once?: boolean;
  interval?: string;
  count?: number;
  format: Format;
  netns: string;
  states: string;
  family: string;
  batchRows: number;
}

export const command = 'poll';
export const describe = 'Dump every TCP socket through inet_diag (once, or every --interval)';

export const builder = (y: Argv): Argv<PollArgs> =>
  y
    .option('once', { type: 'boolean', describe: 'one poll, then exit (the default without --interval)' })
    .option('interval', { type: 'string', describe: 'poll every DURATION (e.g. 1s, 500ms) until stopped' })
    .option('count', { type: 'number', describe: 'with --interval: stop after N polls' })
    .option('format', {
      choices: ['table', 'json', 'ndjson', 'none'] as const, default: 'table' as Format,
      describe: 'table: like ss -tin; json: one array per poll; ndjson: one object per socket; none: a summary line only',
    })
    .option('netns', {
      type: 'string', default: 'all',
      describe: 'namespaces: all (every namespace of the host), host (our own), a name under /run/netns, or a path to a netns file; comma-separated',
    })
    .option('states', { type: 'string', default: 'all', describe: 'TCP states to dump: all, connected, established, listen, time_wait, ... (comma-separated)' })
    .option('family', { type: 'string', choices: ['all', '4', '6'], default: 'all', describe: 'address family' })
    .option('batch-rows', { type: 'number', default: 4096, describe: 'sockets per native batch (memory vs. calls)' })
    .conflicts('once', 'interval')
    .example('$0 poll --netns host', 'sockets of our own namespace, like ss -tin')
    .example('$0 poll --format ndjson --states established', 'one JSON object per established socket')
    .example('$0 poll --interval 1s --format none', 'keep polling; one summary line per poll') as unknown as Argv<PollArgs>;

function familyMask(f: string): number {
  return f === '4' ? 1 : f === '6' ? 2 : 3;
}

function summary(r: CycleResult, cpu: NodeJS.CpuUsage): string {
  const nsErr = r.namespaces.filter((n) => n.errno !== 0);
  const errs = nsErr.length ? `; ${nsErr.length} namespace(s) failed: ${nsErr.map((n) => `${n.ns.name} ${n.code}`).join(', ')}` : '';
  return `polled ${r.sockets} sockets in ${r.namespaces.length} namespace(s) in ${r.durationMs.toFixed(1)} ms ` +
    `(cpu user ${(cpu.user / 1000).toFixed(1)} ms, sys ${(cpu.system / 1000).toFixed(1)} ms; ${r.batches} batches)${errs}`;
}

export async function runPoll(args: PollArgs): Promise<number> {
  if (args.batchRows < 1 || args.batchRows > 1 << 20) throw usage('--batch-rows: between 1 and 1048576');
  if (args.count !== undefined && !(args.count >= 1)) throw usage('--count: at least 1');
  const intervalMs = args.interval !== undefined ? parseDuration(args.interval, 'interval') : 0;
  const source = new PollSource({
    netns: parseNetnsSelector(args.netns),
    states: parseStates(args.states),
    families: familyMask(args.family),
    batchRows: args.batchRows,
  });
  const out = new Output();
  const warn = (line: string): void => { process.stderr.write(`${line}\n`); };
  const openErrorsSaid = new Set<number>();
  source.onOpenError = (ns, e) => {
    if (openErrorsSaid.has(ns.inode)) return;
    openErrorsSaid.add(ns.inode);
    warn(`tcplens: cannot enter network namespace ${ns.name}: ${e.code} (${e.message})`);
  };

  // A long-running poll checks the host once and says what is degraded.
  if (intervalMs > 0) {
    const report = runPreflight({ netnsAll: args.netns === 'all' });
    logPreflightOnce(report, warn);
    if (exitCodeOf(report) !== 0) return 1;
  }

  let stop = false;
  const onSignal = (): void => { stop = true; };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let failed = false;
  try {
    for (let n = 0; ; n++) {
      const started = Date.now();
      const cpu0 = process.cpuUsage();
      let first = true;
      if (args.format === 'table') await out.write(`${tableHeader()}\n`);
      if (args.format === 'json') await out.write('[');
      const r = await source.cycle(async (b, ctx) => {
        if (args.format === 'none') return;
        for (let i = 0; i < b.rows; i++) {
          const rec = rowToRecord(b, i, { netns: ctx.ns.name, names: ctx.names });
          if (args.format === 'table') await out.write(`${tableRow(rec)}\n`);
          else if (args.format === 'ndjson') await out.write(`${JSON.stringify(rec)}\n`);
          else { await out.write(`${first ? '\n' : ',\n'}${JSON.stringify(rec)}`); first = false; }
        }
      });
      const cpu = process.cpuUsage(cpu0);
      if (args.format === 'json') await out.write(first ? ']\n' : '\n]\n');
      if (args.format === 'none') await out.write(`${summary(r, cpu)}\n`);
      await out.flush();
      // The own namespace failing means the poll view does not work at all.
      const own = r.namespaces.find((x) => x.ns.path === null);
      if (own && own.errno !== 0 && own.sockets === 0) failed = true;
      if (intervalMs === 0 || stop || (args.count !== undefined && n + 1 >= args.count)) break;
      const wait = started + intervalMs - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      if (stop) break;
    }
  } finally {
    source.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return failed ? 1 : 0;
}

export const handler = async (argv: ArgumentsCamelCase<PollArgs>): Promise<void> => {
  process.exitCode = await runPoll(argv);
};
