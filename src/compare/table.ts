// The report as a text table: coverage columns, then cost columns.
import type { CompareResult } from './run';
import type { ViewReport } from './report';

const n = (x: number | null, d = 0): string => (x === null ? '-' : x.toFixed(d));
const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
const kb = (x: number | null): string =>
  x === null ? '-' : x >= 10 * 1024 * 1024 ? `${(x / 1048576).toFixed(0)}M` : x >= 10 * 1024 ? `${(x / 1024).toFixed(0)}k` : String(x);

export function label(v: ViewReport): string {
  if (v.view === 'adaptive') return `adaptive ${v.adaptive_target === null ? '' : `${Math.round(v.adaptive_target * 100)}%`}`.trim();
  return v.interval_ms === null ? v.view : `${v.view} ${v.interval_ms >= 1000 ? `${v.interval_ms / 1000}s` : `${v.interval_ms}ms`}`;
}

function grid(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export function formatTable(r: CompareResult): string {
  const avail = r.views.filter((v) => v.available);
  const cover = grid(
    [
      'view',
      'seen',
      'missed',
      'coverage',
      'predicted',
      'pred kept',
      'bytes seen',
      'bytes missed',
      'after last',
      'stale@close ms',
      'first sight ms',
      'err mean B',
      'exact',
    ],
    avail.map((v) => [
      label(v),
      n(v.flows_seen),
      n(v.flows_missed),
      pct(v.coverage),
      pct(v.predicted_coverage),
      pct(v.predicted_coverage_kept),
      kb(v.bytes_seen),
      kb(v.bytes_missed),
      kb(v.bytes_missed_after_last),
      n(v.staleness_ms_mean, 1),
      n(v.first_sight_ms_mean, 1),
      n(v.bytes_error_mean, 0),
      n(v.flows_exact),
    ]),
  );
  const cost = grid(
    [
      'view',
      'ticks',
      'cpu ms',
      'user ms',
      'sys ms',
      'reader ms',
      'us/tick',
      'us/row',
      'cpu %',
      'seen/cpu ms',
      'netlink calls',
      'syscr',
      'rss MB',
      'drops',
    ],
    avail.map((v) => [
      label(v),
      n(v.ticks),
      n(v.cpu_us === null ? null : v.cpu_us / 1000, 1),
      n(v.cpu_user_us === null ? null : v.cpu_user_us / 1000, 1),
      n(v.cpu_sys_us === null ? null : v.cpu_sys_us / 1000, 1),
      n(v.cpu_reader_us === null ? null : v.cpu_reader_us / 1000, 1),
      n(v.cpu_us_per_tick, 0),
      n(v.cpu_us_per_row, 1),
      n(v.cpu_pct, 2),
      n(v.seen_per_cpu_ms, 2),
      n(v.netlink_syscalls),
      n(v.syscr),
      n(v.max_rss_kb === null ? null : v.max_rss_kb / 1024, 0),
      n(v.drops),
    ]),
  );
  const head = r.workload
    ? `workload ${r.workload.spec}: ${r.flows_total} flows (${r.workload.summary.errors} failed, ${r.workload.summary.late} started late, at most ${r.workload.summary.max_concurrent} open) in netns ${r.netns}`
    : `netns ${r.netns}: ${r.flows_total} sockets seen by any view in ${(r.duration_ms / 1000).toFixed(1)} s`;
  const missing = r.views.filter((v) => !v.available).map((v) => `${label(v)}: not measured (${v.reason})`);
  // A poller that could not keep its interval saw less than the interval promises.
  const starved = r.views
    .filter((v) => v.view === 'poll' && v.skipped_ticks > v.ticks / 20)
    .map(
      (v) =>
        `${label(v)}: kept ${v.effective_interval_ms} ms on average (${v.skipped_ticks} ticks skipped: a cycle took longer than the interval, or no CPU)`,
    );
  const adaptive = r.views
    .filter((v) => v.view === 'adaptive' && v.available)
    .map(
      (v) =>
        `${label(v)}: target ${pct(v.adaptive_target)} within ${pct(v.adaptive_cpu_budget)} of a CPU; chose ${v.adaptive_interval_ms_mean} ms on average (kept ${v.effective_interval_ms} ms)`,
    );
  const extra = r.predictions.filter((p) => !r.views.some((v) => v.view === 'poll' && v.interval_ms === p.interval_ms));
  const pred = extra.length
    ? [
        `predicted coverage at other intervals (${r.lifetimes_source}): ${extra.map((p) => `${p.interval_ms} ms ${pct(p.predicted_coverage)}`).join(', ')}`,
      ]
    : [];
  return [
    head,
    '',
    'coverage',
    cover,
    '',
    'cost (each view in its own process, over the run)',
    cost,
    ...(missing.length || starved.length || adaptive.length ? ['', ...adaptive, ...starved, ...missing] : []),
    ...pred,
    '',
  ].join('\n');
}
