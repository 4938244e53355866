// tcplens poll: the inet_diag view (plus, with --destroy, the destroy view),
// printed like ss or as JSON.
import { listItems } from '../util/list';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { CycleResult } from '../sources/poll';
import { HOST_SWEEP_EVERY, openPollSource, pollCycle, POLL_VIA, type PollVia } from '../sources/poll_via';
import { DestroySource } from '../sources/destroy';
import { parseNetnsSelector } from '../netns/select';
import { ALL_STATES, parseStates } from '../format/tcp_states';
import { compileSsFilter } from '../filter';
import { parseDuration } from '../util/units';
import { BatchPrinter, type Format } from '../format/printer';
import { Output } from '../util/output';
import { usage } from '../util/errors';
import { exitCodeOf, logPreflightOnce, runPreflight } from '../preflight';

interface PollArgs {
  once?: boolean;
  interval?: string;
  count?: number;
  format: Format;
  netns: string;
  states: string;
  filter?: string;
  family: string;
  batchRows: number;
  destroy?: boolean;
  pollVia: PollVia;
  hostSweep: number;
  changed?: boolean;
}

/** How often --destroy empties the kernel's queue between polls. */
const DESTROY_DRAIN_MS = 100;

export const command = 'poll';
export const describe = 'Dump every TCP socket through inet_diag (once, or every --interval)';

export const builder = (y: Argv): Argv<PollArgs> =>
  y
    .option('once', { type: 'boolean', describe: 'one poll, then exit (the default without --interval)' })
    .option('interval', { type: 'string', describe: 'poll every DURATION (e.g. 1s, 500ms) until stopped' })
    .option('count', { type: 'number', describe: 'with --interval: stop after N polls' })
    .option('format', {
      choices: ['table', 'json', 'ndjson', 'none'] as const,
      default: 'table' as Format,
      describe: 'table: like ss -tin; json: one array per poll; ndjson: one object per socket; none: a summary line only',
    })
    .option('netns', {
      type: 'string',
      default: 'all',
      describe:
        'namespaces: all (every namespace of the host), host (our own), a name under /run/netns, or a path to a netns file; comma-separated',
    })
    .option('states', {
      type: 'string',
      default: 'all',
      describe: 'TCP states to dump: all, connected, established, listen, time_wait, ... (comma-separated)',
    })
    .option('filter', {
      type: 'string',
      describe:
        "sockets the kernel selects, in ss's filter syntax: [state|exclude STATE]... (established, time-wait, ..., connected, bucket, big) then sport/dport OP :PORT, src/dst ADDR[/LEN][:PORT], and/or/not, parentheses",
    })
    .option('family', { type: 'string', choices: ['all', '4', '6'], default: 'all', describe: 'address family' })
    .option('destroy', {
      type: 'boolean',
      describe: 'add the destroy view: the final record of every socket destroyed between polls (records get "view": "poll" | "destroy")',
    })
    .option('poll-via', {
      choices: POLL_VIA,
      default: 'diag' as PollVia,
      describe:
        "diag: inet_diag dump per namespace; iter: an eBPF iter/tcp program per namespace reading tcp_sock (cheaper, fewer fields: docs/views.md); host: one eBPF pass over every process's sockets, all namespaces at once, plus iter/tcp walks for sockets no process holds (many namespaces: docs/views.md); iter and host fall back to diag with the reason",
    })
    .option('host-sweep', {
      type: 'number',
      default: HOST_SWEEP_EVERY,
      describe: 'with --poll-via host: walk the namespaces for sockets no process holds (TIME_WAIT, orphans) every N polls (0: never)',
    })
    .option('changed', {
      type: 'boolean',
      describe: 'with --poll-via iter and --interval: after the first poll, only the sockets that moved (detected in the kernel)',
    })
    .option('batch-rows', {
      type: 'number',
      default: 512,
      describe: 'sockets per native batch: 512 keeps a batch (~280 KB) in L2 cache, measured fastest',
    })
    .conflicts('once', 'interval')
    .example('$0 poll --netns host', 'sockets of our own namespace, like ss -tin')
    .example('$0 poll --format ndjson --states established', 'one JSON object per established socket')
    .example(
      '$0 poll --interval 1s --destroy --format ndjson',
      'every socket each second, and every close as it happens',
    ) as unknown as Argv<PollArgs>;

function familyMask(f: string): number {
  return f === '4' ? 1 : f === '6' ? 2 : 3;
}

function summary(r: CycleResult, cpu: NodeJS.CpuUsage, destroyed: number | null): string {
  const nsErr = r.namespaces.filter((n) => n.errno !== 0);
  const errs = nsErr.length ? `; ${nsErr.length} namespace(s) failed: ${nsErr.map((n) => `${n.ns.name} ${n.code}`).join(', ')}` : '';
  const d = destroyed === null ? '' : `; ${destroyed} destroyed since the last poll`;
  return (
    `polled ${r.sockets} sockets in ${r.namespaces.length} namespace(s) in ${r.durationMs.toFixed(1)} ms ` +
    `(cpu user ${(cpu.user / 1000).toFixed(1)} ms, sys ${(cpu.system / 1000).toFixed(1)} ms; ${r.batches} batches)${d}${errs}`
  );
}

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** Every flag of `tcplens poll` checked and parsed, before anything starts. */
export function validate(args: PollArgs) {
  if (!(Number.isInteger(args.batchRows) && args.batchRows >= 1 && args.batchRows <= 1 << 20))
    throw usage('--batch-rows: between 1 and 1048576');
  if (args.count !== undefined && !(Number.isInteger(args.count) && args.count >= 1)) throw usage('--count: a whole number, at least 1');
  if (args.count !== undefined && args.interval === undefined) throw usage('--count: with --interval (without it, poll runs once)');
  if (args.changed && args.pollVia !== 'iter') throw usage('--changed: with --poll-via iter');
  if (!(Number.isInteger(args.hostSweep) && args.hostSweep >= 0)) throw usage('--host-sweep: a whole number, 0 or more');
  const intervalMs = args.interval !== undefined ? parseDuration(args.interval, 'interval') : 0;
  const netns = parseNetnsSelector(args.netns);
  // a bad expression fails now, in one line; its state clauses narrow --states
  const { bytecode, states: filterStates } = compileSsFilter(args.filter);
  const states = (parseStates(args.states) & (filterStates ?? ALL_STATES)) >>> 0;
  return { intervalMs, netns, bytecode, states };
}

export async function runPoll(args: PollArgs): Promise<number> {
  const { intervalMs, netns, bytecode, states } = validate(args);
  const warn = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const said = new Set<string>();
  const onOpenError =
    (view: string) =>
    (ns: { name: string }, e: { code: string; message: string }): void => {
      const line = `tcplens: ${view}: cannot enter network namespace ${ns.name}: ${e.code} (${e.message})`;
      if (!said.has(line)) {
        said.add(line);
        warn(line);
      }
    };

  // A long-running poll checks the host once and says what is degraded.
  if (intervalMs > 0) {
    // Any namespace but our own needs setns (CAP_SYS_ADMIN).
    const report = runPreflight({ netnsAll: listItems(args.netns).some((x) => x !== 'host') });
    logPreflightOnce(report, warn);
    if (exitCodeOf(report) !== 0) return 1;
  }

  const opts = {
    netns,
    states,
    families: familyMask(args.family),
    batchRows: args.batchRows,
  };
  const source = openPollSource(args.pollVia, { ...opts, hostSweep: args.hostSweep, ...(bytecode ? { bytecode } : {}) }, (why) =>
    warn(`tcplens: poll via ${args.pollVia} unavailable, polling with inet_diag: ${why}`),
  );
  source.onOpenError = onOpenError('poll');
  const destroy = args.destroy ? new DestroySource({ netns, batchRows: args.batchRows }) : null;
  if (destroy) {
    destroy.onOpenError = onOpenError('destroy');
    destroy.refresh(); // subscribe before the first poll: closes from now on are caught
  }
  const printer = new BatchPrinter(new Output(), args.format, destroy !== null);
  const streaming = args.format !== 'json';
  let destroyed = 0;
  const drainDestroy = async (): Promise<void> => {
    if (!destroy) return;
    destroyed += (await destroy.drain((b, ctx) => printer.batch(b, ctx, 'destroy'))).rows;
  };

  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let failed = false;
  try {
    for (let n = 0; ; n++) {
      const started = Date.now();
      const cpu0 = process.cpuUsage();
      await printer.begin();
      const r = await pollCycle(source, (b, ctx) => printer.batch(b, ctx, 'poll'), !(args.changed && n > 0));
      const cpu = process.cpuUsage(cpu0);
      destroy?.refresh();
      await drainDestroy();
      await printer.end();
      if (args.format === 'none') await printer.line(summary(r, cpu, destroy ? destroyed : null));
      destroyed = 0;
      // The own namespace failing means the poll view does not work at all.
      const own = r.namespaces.find((x) => x.ns.path === null);
      if (own && own.code !== undefined && own.sockets === 0) failed = true;
      if (intervalMs === 0 || stop || (args.count !== undefined && n + 1 >= args.count)) break;
      // Wait for the next tick; streaming formats print closes as they come.
      for (let wait = started + intervalMs - Date.now(); wait > 0 && !stop; wait = started + intervalMs - Date.now()) {
        await sleep(destroy && streaming ? Math.min(wait, DESTROY_DRAIN_MS) : wait);
        if (destroy && streaming) {
          await drainDestroy();
          await printer.flush();
        }
      }
      if (stop) break;
    }
  } finally {
    source.close();
    destroy?.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return failed ? 1 : 0;
}

export const handler = async (argv: ArgumentsCamelCase<PollArgs>): Promise<void> => {
  process.exitCode = await runPoll(argv);
};
