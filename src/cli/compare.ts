// tcplens compare: polling versus sampling versus events. Runs every view on
// the same namespace at once (poll at several intervals, destroy, events,
// samples) and reports what each saw, missed and cost; against a loadgen
// workload, also each view's error against the ground truth.
import { listItems } from '../util/list';
import * as fs from 'fs';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { parseDuration, parseShare } from '../util/units';
import { usage } from '../util/errors';
import { parseSpec } from '../loadgen/spec';
import { runCompare } from '../compare/run';
import { formatTable } from '../compare/table';
import { renderSvg } from '../compare/svg';
import { progressBar } from '../compare/progress';
import { coverageFromClickhouse } from '../compare/clickhouse';
import { storeCoverage } from '../compare/store';
import { clickhouseConfig, clickhouseOptions, type ClickHouseConfig, type ClickHouseFlags } from '../sinks/clickhouse/config';
import { parseNetnsSelector, resolveNetns } from '../netns/select';
import { clip } from '../config/env';
import { checkNetnsName, checkOutputPath } from './checks';
import type { ViewName } from '../compare/views';

interface CompareArgs extends ClickHouseFlags {
  duration: string;
  intervals: string;
  predict?: string;
  loadgen?: string;
  netns?: string;
  views: string;
  sampleInterval: string;
  seed: number;
  json?: boolean;
  svg?: string;
  truthOut?: string;
  flowsOut?: string;
  fromClickhouse?: boolean;
  since: string;
  coverageTarget: string;
  cpuBudget: string;
}

const ALL_VIEWS: ViewName[] = ['poll', 'iter', 'host', 'destroy', 'events', 'samples', 'targeted', 'adaptive'];
/** targeted snapshots, the adaptive poll and the iterator polls (iter, host: --poll-via iter's and host's cost beside inet_diag's) are asked for by name: each is a process of its own beside the pollers */
const DEFAULT_VIEWS: ViewName[] = ['poll', 'destroy', 'events', 'samples'];

export const command = 'compare';
export const describe = 'Polling vs sampling vs events: what each view sees, misses and costs, side by side';

export const builder = (y: Argv): Argv<CompareArgs> =>
  clickhouseOptions(y)
    .option('duration', { type: 'string', default: '60s', describe: 'how long to watch (with --loadgen: the most the workload may take)' })
    .option('intervals', { type: 'string', default: '10ms,100ms,1s,10s', describe: 'poll intervals, each measured by a poller of its own' })
    .option('predict', { type: 'string', describe: 'more intervals to predict coverage for (not measured), e.g. 30s,1m' })
    .option('loadgen', {
      type: 'string',
      describe: 'run a workload with ground truth (see tcplens loadgen), e.g. rate=200,duration=exp:50ms,bytes=4k,flows=1000,seed=1',
    })
    .option('netns', {
      type: 'string',
      describe: 'the namespace to watch (name under /run/netns, path, or host); with --loadgen: run the workload there',
    })
    .option('views', {
      type: 'string',
      default: DEFAULT_VIEWS.join(','),
      describe: `views to compare (unavailable ones are reported as such): ${ALL_VIEWS.join(', ')}`,
    })
    .option('coverage-target', {
      type: 'string',
      default: '90%',
      describe: 'the adaptive view (--views ...,adaptive): the share of flows its poll aims to see',
    })
    .option('cpu-budget', { type: 'string', default: '5%', describe: 'the adaptive view: the share of one CPU its poll may use' })
    .option('sample-interval', { type: 'string', default: '10ms', describe: 'period of the samples view' })
    .option('seed', { type: 'number', default: 1, describe: 'seeds the random phase of every poller' })
    .option('json', { type: 'boolean', describe: 'the report as JSON: {"views": [{view, interval_ms, flows_seen, ...}], ...}' })
    .option('svg', { type: 'string', describe: 'also write a chart (coverage and cost against poll interval) to this file' })
    .option('truth-out', { type: 'string', describe: 'with --loadgen: keep the ground truth (ndjson) here' })
    .option('flows-out', { type: 'string', describe: 'write one JSON line per flow: which views saw it, when, and the bytes they had' })
    .option('from-clickhouse', {
      type: 'boolean',
      describe: 'predict coverage at --intervals from the flows stored in ClickHouse (tcp_flows) instead of measuring',
    })
    .option('since', { type: 'string', default: '1h', describe: 'with --from-clickhouse: the window, back from now' })
    .example(
      '$0 compare --loadgen rate=200,duration=5ms,flows=1000 --intervals 10ms,100ms,1s',
      'coverage and cost of each view against a known workload',
    )
    .example(
      '$0 compare --loadgen rate=200,duration=200ms,then=50ms,flows=4000 --views poll,adaptive --intervals 50ms,200ms',
      'the adaptive poll beside fixed ones, on flows that get shorter halfway',
    )
    .example('$0 compare --netns web --duration 60s --svg cmp.svg', 'what each view sees of a real namespace for a minute')
    .example(
      '$0 compare --from-clickhouse --since 1h --intervals 1s,10s,1m',
      'what slower polling would have missed last hour',
    ) as unknown as Argv<CompareArgs>;

function intervals(text: string, flag: string): number[] {
  const out = listItems(text).map((s) => parseDuration(s, flag));
  if (!out.length) throw usage(`--${flag}: name at least one interval`);
  return [...new Set(out)].sort((a, b) => a - b);
}

function views(text: string): ViewName[] {
  const out = listItems(text);
  for (const v of out)
    if (!(ALL_VIEWS as string[]).includes(v)) throw usage(`--views: unknown view "${clip(v)}" (${ALL_VIEWS.join(', ')})`);
  if (!out.length) throw usage('--views: name at least one view');
  return out as ViewName[];
}

/** Checks a file the run will write (--svg, --truth-out, --flows-out) before it starts. */
function outputs(args: CompareArgs): void {
  if (args.svg !== undefined) checkOutputPath(args.svg, '--svg');
  if (args.truthOut !== undefined) checkOutputPath(args.truthOut, '--truth-out');
  if (args.flowsOut !== undefined) checkOutputPath(args.flowsOut, '--flows-out');
  if (args.truthOut !== undefined && args.loadgen === undefined)
    throw usage("--truth-out: with --loadgen (the ground truth is the workload's)");
}

/** Every flag of `tcplens compare` checked and parsed, before anything starts. */
export function validate(args: CompareArgs) {
  if (!(Number.isInteger(args.seed) && Math.abs(args.seed) <= Number.MAX_SAFE_INTEGER)) throw usage('--seed: a whole number');
  const intervalsMs = intervals(args.intervals, 'intervals');
  const predictMs = args.predict !== undefined ? intervals(args.predict, 'predict') : [];
  const store = clickhouseConfig(args);
  if (args.fromClickhouse) {
    if (args.loadgen !== undefined || args.netns !== undefined)
      throw usage('--from-clickhouse reads stored flows: it takes no --loadgen or --netns');
    if (!store) throw usage('--from-clickhouse: name the server: --clickhouse-url or TCPLENS_CLICKHOUSE_URL');
    return { fromClickhouse: true as const, store, intervalsMs, predictMs, sinceMs: parseDuration(args.since, 'since') };
  }
  const durationMs = parseDuration(args.duration, 'duration');
  const loadgen = args.loadgen !== undefined ? parseSpec(args.loadgen) : undefined;
  if (!loadgen && args.netns === undefined)
    throw usage('compare: name what to watch: --loadgen SPEC (a workload with ground truth) or --netns NAME');
  if (args.netns !== undefined) {
    if (loadgen) checkNetnsName(args.netns);
    else resolveNetns(parseNetnsSelector(args.netns));
  }
  outputs(args);
  return {
    fromClickhouse: false as const,
    store,
    intervalsMs,
    predictMs,
    durationMs,
    loadgen,
    views: views(args.views),
    adaptive: { target: parseShare(args.coverageTarget, 'coverage-target'), cpuBudget: parseShare(args.cpuBudget, 'cpu-budget') },
    sampleIntervalMs: parseDuration(args.sampleInterval, 'sample-interval'),
  };
}

async function fromClickhouse(args: CompareArgs, cfg: ClickHouseConfig, iv: number[], sinceMs: number): Promise<number> {
  const untilNs = BigInt(Date.now()) * 1_000_000n;
  const sinceNs = untilNs - BigInt(Math.round(sinceMs)) * 1_000_000n;
  const rows = await coverageFromClickhouse(cfg, { intervalsMs: iv, sinceNs, untilNs });
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ source: 'clickhouse', since_ns: sinceNs.toString(), until_ns: untilNs.toString(), predictions: rows })}\n`,
    );
  } else {
    const flows = rows[0]?.flows ?? 0;
    process.stdout.write(
      `predicted poll coverage from ${flows} stored flows closed in the last ${args.since} (stored poll view saw ${rows[0] ? (rows[0].stored_poll_coverage * 100).toFixed(2) : '-'}%)\n`,
    );
    for (const r of rows)
      process.stdout.write(
        `${String(r.interval_ms).padStart(10)} ms  ${(r.predicted_coverage * 100).toFixed(2).padStart(7)}% +- ${(r.predicted_sigma * 100).toFixed(2)}\n`,
      );
  }
  return 0;
}

export async function runCompareCommand(args: CompareArgs): Promise<number> {
  const v = validate(args);
  if (v.fromClickhouse) {
    const iv = [...new Set([...v.intervalsMs, ...v.predictMs])].sort((a, b) => a - b);
    return fromClickhouse(args, v.store, iv, v.sinceMs);
  }
  const { store, loadgen } = v;
  const bar = progressBar();
  // Ctrl-C ends the run early but still reports, and removes what it made.
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const r = await runCompare({
    signal: ac.signal,
    durationMs: v.durationMs,
    intervalsMs: v.intervalsMs,
    predictMs: v.predictMs,
    views: v.views,
    adaptive: v.adaptive,
    sampleIntervalMs: v.sampleIntervalMs,
    seed: args.seed,
    ...(loadgen ? { loadgen } : {}),
    ...(args.netns ? { netns: args.netns } : {}),
    ...(args.truthOut ? { truthOut: args.truthOut } : {}),
    ...(args.flowsOut ? { flowsOut: args.flowsOut } : {}),
    onProgress: (f, t) => bar.update(f, t),
  });
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  bar.done();
  if (args.svg) fs.writeFileSync(args.svg, renderSvg(r));
  process.stdout.write(args.json ? `${JSON.stringify(r, null, 1)}\n` : formatTable(r));
  if (store) {
    const s = await storeCoverage(store, r);
    process.stderr.write(`stored ${s.rows} coverage rows in ${store.database}.coverage (run_id ${s.runId})\n`);
  }
  return r.workload && r.workload.summary.errors > 0 ? 1 : 0;
}

export const handler = async (argv: ArgumentsCamelCase<CompareArgs>): Promise<void> => {
  process.exitCode = await runCompareCommand(argv);
};
