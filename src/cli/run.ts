// tcplens run: the main job. Preflight, schema, every view this host allows,
// the flow table, the sink, and the metrics server, until SIGTERM/SIGINT or
// --duration; then everything in memory is written (or spooled).
import { listItems } from '../util/list';
import * as os from 'os';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { withRunOptions, type RunArgs } from '../run/options';
import { parseNetnsSelector, type NetnsSelector } from '../netns/select';
import { parseDuration, parseRingBytes, parseSize } from '../util/units';
import { adaptiveFromArgs, pollPhaseMs } from '../run/adaptive_options';
import { usage } from '../util/errors';
import { addDumpCost, runPreflight, logPreflightOnce, exitCodeOf } from '../preflight';
import { Sidecar } from '../run/sidecar';
import { flushTiming, openSink, retention } from '../sinks/options';
import { clickhouseConfig, clickhouseCredentials } from '../sinks/clickhouse/config';
import { parseListen } from '../metrics/server';
import { clip } from '../config/env';
import { checkDirPath, checkOutputPath, checkPrintable } from './checks';
import { checkIdentifier } from '../sinks/clickhouse/schema';
import { openViews } from '../run/open_views';
import { VIEW_FACTORIES } from '../run/views';
import { partsSummary } from '../sources/parts';
import { runStages, startRunMetrics } from '../run/metrics';
import { capsToKeep, dropPrivileges, resolveUser } from '../run/privileges';
import { log, parseLevel } from '../util/log';
import { HealthAccounts } from '../correlate/health';
import { parseBreakdown } from '../correlate/health_groups';
import { parseSnapshotOn } from '../run/snapshot_on';
import { compileSsFilter } from '../filter';
import { parseListenInterval } from '../run/listen_interval';
import { capHeapGrowth } from '../run/heap_growth';

export const command = 'run';
export const describe = 'The sidecar: every view, joined per flow, written to ClickHouse (or stdout/file), metrics on --listen';

export const builder = (y: Argv): Argv<RunArgs> =>
  withRunOptions(y)
    .example('$0 run', 'local ClickHouse under ./.tcplens, every namespace, every 10s')
    .example('TCPLENS_CLICKHOUSE_URL=http://ch:8123 TCPLENS_CLICKHOUSE_PASSWORD=... $0 run --interval 5s', 'a remote ClickHouse')
    .example('$0 run --sink stdout --duration 30s', 'ndjson on stdout for 30 s, no ClickHouse')
    .example(
      '$0 run --snapshot-on open:50ms,retransmit,reset',
      'also a snapshot of each flow 50 ms after it opens, and at retransmits and resets',
    ) as unknown as Argv<RunArgs>;

function parseViews(text: string): Set<string> {
  const known = VIEW_FACTORIES.map((f) => f.name);
  const out = new Set<string>();
  for (const v of listItems(text)) {
    if (!known.includes(v)) throw usage(`--views: unknown view "${clip(v)}" (${known.join(', ')})`);
    out.add(v);
  }
  if (!out.has('poll')) throw usage('--views: the poll view is required');
  return out;
}

function check(args: RunArgs): void {
  if (!(Number.isInteger(args.maxFlows) && args.maxFlows >= 1)) throw usage('--max-flows: a whole number, at least 1');
  if (!(Number.isInteger(args.hostSweep) && args.hostSweep >= 0)) throw usage('--host-sweep: a whole number, 0 or more');
  if (!(args.sampleHz > 0 && args.sampleHz <= 1000)) throw usage('--sample-hz: between 0 and 1000');
  if (!(args.snapshotRate > 0)) throw usage('--snapshot-rate: greater than zero');
}

/** A --sink file:PATH whose directory is missing, or a directory itself, fails now, not after preflight. */
function checkSink(sink: string): void {
  if (sink === 'clickhouse' || sink === 'stdout') return;
  if (!/^file:./.test(sink)) throw usage(`--sink: clickhouse, stdout or file:PATH expected, got '${clip(sink)}'`);
  checkOutputPath(sink.slice(5), '--sink file:');
}

/** Every setting of `tcplens run` checked and parsed, before anything starts (a usage error names the flag). */
export function validate(args: RunArgs) {
  check(args);
  // bad sink settings fail now, not after preflight
  if (args.sink === 'clickhouse') {
    clickhouseConfig(args);
    clickhouseCredentials(args);
    checkDirPath(args['spool-dir'], '--spool-dir');
  } else checkSink(args.sink);
  const intervalMs = parseDuration(args.interval, 'interval');
  const drainMs = parseDuration(args.drainInterval, 'drain-interval');
  const ownersMs = parseDuration(args.ownersInterval, 'owners-interval');
  const listenMs = parseListenInterval(args.listenInterval);
  const ringBytes = parseRingBytes(args.ringBytes);
  const durationMs = args.duration !== undefined ? parseDuration(args.duration, 'duration') : 0;
  const asked = parseNetnsSelector(args.netns);
  const wanted = parseViews(args.views);
  const snapshotOn = args.snapshotOn !== undefined ? parseSnapshotOn(args.snapshotOn) : undefined;
  if (snapshotOn) wanted.add('targeted');
  const { bytecode, states } = compileSsFilter(args.filter);
  const adaptive = adaptiveFromArgs(args, intervalMs, wanted);
  const phaseMs = pollPhaseMs(args.pollPhase, intervalMs);
  const level = parseLevel(args.logLevel);
  parseListen(args.listen);
  const spoolBudget = parseSize(args['spool-bytes'], '--spool-bytes');
  flushTiming(args);
  retention(args);
  if (args.cluster !== undefined) checkIdentifier('cluster', args.cluster);
  checkIdentifier('database', args.database ?? 'tcplens');
  if (args.host !== undefined) checkPrintable('--host', args.host);
  if (args.user !== undefined && !args.dropCaps) throw usage('--user: switches user after dropping capabilities; not with --no-drop-caps');
  const user = args.user !== undefined ? resolveUser(args.user) : undefined;
  const breakdown = parseBreakdown(args.healthBy, args.healthPeers, args.healthMaxSeries);
  if (!args.health && breakdown.dimensions.length) throw usage('--health-by, --health-peers: the health metrics are off (--no-health)');
  return {
    intervalMs,
    drainMs,
    ownersMs,
    listenMs,
    ringBytes,
    durationMs,
    asked,
    wanted,
    snapshotOn,
    bytecode,
    states,
    adaptive,
    phaseMs,
    level,
    spoolBudget,
    user,
    breakdown,
  };
}

export async function runMain(args: RunArgs): Promise<number> {
  const set = validate(args);
  const { intervalMs, listenMs, adaptive } = set;
  log.setLevel(set.level);
  capHeapGrowth(); // a burst's garbage is collected before it doubles the heap (heap_growth.ts)
  const host = args.host ?? os.hostname();

  const base = runPreflight({ netnsAll: listItems(args.netns).some((x) => x !== 'host') });
  // preflight found other namespaces out of reach (no CAP_SYS_ADMIN): "all"
  // is our own then, as preflight said, rather than a failure per namespace
  // per cycle; namespaces named one by one are still tried, and fail loudly
  const netns: NetnsSelector = set.asked.kind === 'all' && base.views.netns === 'own' ? { kind: 'list', items: ['host'] } : set.asked;
  // what the chosen intervals cost before a socket is found (the walks of the kernel's hash tables)
  // (fewer namespaces and dumps than `tcplens preflight`: a start-up cost, 45 ms a dump where the host holds 100k sockets)
  const plan = { intervalMs, listenMs, ...(adaptive ? { cpuBudget: adaptive.opts.cpuBudget } : {}) };
  const report = await addDumpCost(base, netns, plan, { sample: 4, reps: 3 });
  logPreflightOnce(report, (line) => log.warn('preflight', line));
  if (exitCodeOf(report) !== 0) return 1;

  const sink = await openSink(args, { host, ...(args.cluster ? { cluster: args.cluster } : {}) });
  const opened = openViews(
    VIEW_FACTORIES,
    {
      wanted: set.wanted,
      report,
      netns,
      intervalMs,
      listenMs,
      drainMs: set.drainMs,
      sampleHz: args.sampleHz,
      ownersMs: set.ownersMs,
      ringBytes: set.ringBytes,
      changesOnly: args.changesOnly,
      pollVia: args.pollVia,
      hostSweep: args.hostSweep,
      ...(set.snapshotOn ? { snapshotOn: set.snapshotOn, snapshotRate: args.snapshotRate } : {}),
      ...(set.bytecode ? { bytecode: set.bytecode } : {}),
      ...(set.states !== undefined ? { states: set.states } : {}),
      ...(adaptive ? { adaptive } : {}),
      ...(set.phaseMs > 0 ? { phaseMs: set.phaseMs } : {}),
    },
    log,
  );
  const health = args.health ? new HealthAccounts(set.breakdown) : undefined;
  const sidecar = new Sidecar(
    { maxFlows: args.maxFlows, ...(health ? { health } : {}), ...(adaptive ? { lifetimes: adaptive } : {}) },
    sink.sink,
    opened.views,
    log,
  );
  const stages = runStages(sidecar, sink.sink, set.spoolBudget, opened);
  if (adaptive) stages.adaptive = adaptive;
  const metrics = await startRunMetrics(args, stages);
  // everything is loaded, attached, open and bound: keep only what the views still use
  if (args.dropCaps) {
    const keep = capsToKeep({
      views: opened.views.map((v) => v.name),
      ownNetnsOnly: netns.kind === 'list' && netns.items.every((x) => x === 'host'),
      pollVia: args.pollVia,
    });
    dropPrivileges(
      keep,
      { ...(set.user ? { user: set.user } : {}), ...(args.sink === 'clickhouse' ? { spoolDir: args['spool-dir'] } : {}) },
      log,
    );
  }
  log.info('run.started', 'started', {
    host,
    interval_ms: intervalMs,
    netns: netns === set.asked ? args.netns : 'host (other namespaces out of reach)',
    sink: sink.describe,
    listen: metrics.url,
    views: opened.views.map((v) => v.name),
    // each eBPF part: the variant running, or "off" (a warning above says why)
    parts: { events: partsSummary(opened.parts.events), samples: partsSummary(opened.parts.samples) },
  });

  const stop = (why: string) => (): void => {
    log.info('run.stopping', 'stopping', { why });
    sidecar.stop();
  };
  const onTerm = stop('SIGTERM'),
    onInt = stop('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  const timer = set.durationMs > 0 ? setTimeout(stop('duration'), set.durationMs) : null;
  try {
    await sidecar.run();
  } finally {
    if (timer) clearTimeout(timer);
    process.removeListener('SIGTERM', onTerm);
    process.removeListener('SIGINT', onInt);
    await sink.sink.close();
    await metrics.close();
  }
  // What went where, per table: queued = written + spooled (+ dropped, counted).
  const totals: Record<string, { queued: number; written: number; spooled: number; dropped: number }> = {};
  for (const [t, c] of Object.entries(sink.sink.stats().tables)) {
    totals[t] = { queued: c.rows_queued, written: c.rows_written, spooled: c.rows_spooled, dropped: c.rows_dropped };
  }
  log.info('run.totals', 'rows per table', { cycles: sidecar.stats().cycles, tables: totals });
  return 0;
}

export const handler = async (argv: ArgumentsCamelCase<RunArgs>): Promise<void> => {
  process.exitCode = await runMain(argv);
};
