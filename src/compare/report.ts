// The coverage and cost report: one entry per view and interval.
import type { Joined } from './join';
import type { ViewOutcome } from './runner';
import { predictCoverage, coverageSigma } from './predict';
import { PollGaps, predictFromGaps } from '../correlate/poll_gaps';
import { isPolled } from './views/polled';

export interface ViewReport {
  view: string;
  /** poll and samples: the period; destroy and events: null */
  interval_ms: number | null;
  available: boolean;
  reason?: string;
  flows_total: number;
  flows_seen: number;
  flows_missed: number;
  coverage: number | null;
  /** poll: the mean of min(1, lifetime / interval) over flows; push views: 1; samples: null */
  predicted_coverage: number | null;
  predicted_sigma: number | null;
  /** poll: the prediction from the gaps its dumps really had (late cycles,
   * overruns: src/correlate/poll_gaps.ts);
   * adaptive: the mean of its own predictions, one per cycle */
  predicted_coverage_kept: number | null;
  /** adaptive: its coverage target and CPU budget, and the mean interval it chose */
  adaptive_target: number | null;
  adaptive_cpu_budget: number | null;
  adaptive_interval_ms_mean: number | null;
  /** adaptive: the share of its choices the CPU budget or the dump's own duration made, not the target */
  adaptive_limited_share: number | null;
  /** poll, adaptive: wall time of one dump cycle, mean (long ones: a loaded host, the model holds less well) */
  cycle_wall_ms_mean: number | null;
  /** flows seen per ms of CPU spent in ticks (poll, targeted: a snapshot
   * while the flow lived; destroy, events: its close) */
  seen_per_cpu_ms: number | null;
  /** payload both ways; null when the view has no byte counters */
  bytes_total: number | null;
  bytes_seen: number | null;
  bytes_missed: number | null;
  /** of bytes_missed: flows never seen, and bytes moved after a flow's last sighting */
  bytes_missed_unseen: number | null;
  bytes_missed_after_last: number | null;
  /** close - last sighting, over seen flows whose close is known; 0 when the
   * view reported the close-time counters (destroy, events) */
  staleness_ms_mean: number | null;
  staleness_ms_p50: number | null;
  staleness_ms_max: number | null;
  /** first sighting - open */
  first_sight_ms_mean: number | null;
  /** views with close-time counters: when they had them - close */
  report_delay_ms_mean: number | null;
  /** per seen flow: |bytes at last sighting - reference bytes| */
  bytes_error_mean: number | null;
  bytes_error_max: number | null;
  flows_exact: number | null;
  unmatched_sockets: number;
  // cost, measured in the view's own process over the run
  ticks: number;
  /** grid slots missed because a tick overran (a starved or slow poller) */
  skipped_ticks: number;
  /** the run's window / ticks: how often the view really polled */
  effective_interval_ms: number | null;
  rows: number;
  cpu_us: number | null;
  cpu_user_us: number | null;
  cpu_sys_us: number | null;
  /** the view's reader thread outside its ticks (targeted: the events reader) */
  cpu_reader_us: number | null;
  cpu_us_per_tick: number | null;
  cpu_us_per_row: number | null;
  /** the view's whole process over the run, as a share of one CPU */
  cpu_pct: number | null;
  /** netlink sendmsg + recvmsg (poll, destroy) */
  netlink_syscalls: number | null;
  syscr: number | null;
  syscw: number | null;
  max_rss_kb: number | null;
  /** records the kernel dropped (destroy queue overruns, ring-buffer losses) */
  drops: number | null;
  window_ms: number | null;
}

const mean = (a: number[]): number | null => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
function pct(a: number[], q: number): number | null {
  if (!a.length) return null;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const round = (x: number | null, d = 3): number | null => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

/** samples, and targeted snapshots (they see a flow when their request beats its close): no model */
const noPrediction = (view: string): boolean => view === 'samples' || view === 'targeted';

/** Which counters mean "dropped by the kernel" for each view. */
const DROP_COUNTERS = ['enobufs', 'lost', 'drops', 'reserve_failures', 'ringbuf_drops'];

export function buildReport(j: Joined, outcomes: readonly ViewOutcome[], lifetimes: readonly number[]): ViewReport[] {
  return outcomes.map((out, v) => {
    const sights = j.sights[v]!;
    const r = out.result;
    const pollLike = isPolled(out.view) || out.view === 'samples';
    const total = j.flows.length;
    const hasBytes = out.view !== 'samples' && r !== undefined;
    let bytesTotal = 0,
      seenBytes = 0,
      unseenBytes = 0,
      after = 0,
      exact = 0,
      known = 0;
    const stale: number[] = [],
      firstSight: number[] = [],
      errs: number[] = [],
      delay: number[] = [];
    j.flows.forEach((f, i) => {
      const s = sights.get(i);
      if (f.bytes !== null) {
        bytesTotal += f.bytes;
        known++;
      }
      if (!s) {
        if (f.bytes !== null) unseenBytes += f.bytes;
        return;
      }
      firstSight.push(Number(s.first_ns - f.start_ns) / 1e6);
      if (f.end_ns !== null) {
        if (s.final) delay.push(Number(s.last_ns - f.end_ns) / 1e6);
        stale.push(s.final ? 0 : Number(f.end_ns - s.last_ns) / 1e6);
      }
      if (s.bytes !== null) {
        seenBytes += s.bytes;
        if (f.bytes !== null) {
          after += Math.max(0, f.bytes - s.bytes);
          errs.push(Math.abs(f.bytes - s.bytes));
          if (s.bytes === f.bytes) exact++;
        }
      }
    });
    const seen = sights.size;
    const c = r?.cost;
    const k = r?.counters ?? {};
    const adaptive = out.view === 'adaptive';
    // the adaptive view ticks to drain its events too: its polls are counted apart
    const polls = adaptive ? (k.polls ?? 0) : (r?.ticks ?? 0);
    const drops = r ? DROP_COUNTERS.reduce((a, k) => a + (r.counters[k] ?? 0), 0) : null;
    const nl =
      r && (r.counters.recvs !== undefined || r.counters.requests !== undefined)
        ? (r.counters.recvs ?? 0) + (r.counters.requests ?? 0)
        : null;
    return {
      view: out.view,
      interval_ms: pollLike ? out.interval_ms : null,
      available: r !== undefined,
      ...(out.unavailable ? { reason: out.unavailable } : {}),
      flows_total: total,
      flows_seen: r ? seen : 0,
      flows_missed: r ? total - seen : total,
      coverage: r && total ? round(seen / total, 5) : null,
      // Samples see a flow only while a thread blocks on its socket (an
      // event loop never does): lifetimes alone cannot predict that.
      predicted_coverage: isPolled(out.view) ? round(predictCoverage(lifetimes, out.interval_ms), 5) : noPrediction(out.view) ? null : 1,
      predicted_sigma: isPolled(out.view) ? round(coverageSigma(lifetimes, out.interval_ms), 5) : noPrediction(out.view) ? null : 0,
      predicted_coverage_kept:
        isPolled(out.view) && r?.gaps_ms?.length
          ? round(predictFromGaps(lifetimes, new PollGaps(r.gaps_ms)), 5)
          : adaptive && k.predicted_n
            ? round((k.predicted_sum_ppm ?? 0) / 1e6 / k.predicted_n, 5)
            : null,
      adaptive_target: adaptive && out.adaptive ? out.adaptive.target : null,
      adaptive_cpu_budget: adaptive && out.adaptive ? out.adaptive.cpuBudget : null,
      adaptive_interval_ms_mean: adaptive && k.decisions ? round((k.interval_sum_us ?? 0) / 1000 / k.decisions, 2) : null,
      adaptive_limited_share: adaptive && k.decisions ? round(((k.limited_budget ?? 0) + (k.limited_dump ?? 0)) / k.decisions, 3) : null,
      cycle_wall_ms_mean:
        !r || !polls || !c ? null : round(adaptive ? (k.poll_wall_sum_us ?? 0) / 1000 / polls : c.tick_wall_us / 1000 / polls, 2),
      seen_per_cpu_ms: r && c && c.cpu_us > 0 ? round(seen / (c.cpu_us / 1000), 3) : null,
      bytes_total: hasBytes && known ? bytesTotal : null,
      bytes_seen: hasBytes ? seenBytes : null,
      bytes_missed: hasBytes && known ? unseenBytes + after : null,
      bytes_missed_unseen: hasBytes && known ? unseenBytes : null,
      bytes_missed_after_last: hasBytes && known ? after : null,
      staleness_ms_mean: round(mean(stale)),
      staleness_ms_p50: round(pct(stale, 0.5)),
      staleness_ms_max: round(stale.length ? Math.max(...stale) : null),
      first_sight_ms_mean: round(mean(firstSight)),
      report_delay_ms_mean: round(mean(delay)),
      bytes_error_mean: hasBytes ? round(mean(errs)) : null,
      bytes_error_max: hasBytes && errs.length ? Math.max(...errs) : null,
      flows_exact: hasBytes ? exact : null,
      unmatched_sockets: j.unmatched[v]!,
      ticks: r?.ticks ?? 0,
      skipped_ticks: r?.skipped_ticks ?? 0,
      effective_interval_ms: r && polls ? round(r.window_ms / polls, 1) : null,
      rows: r?.rows ?? 0,
      cpu_us: c ? c.cpu_us : null,
      cpu_user_us: c ? c.cpu_user_us : null,
      cpu_sys_us: c ? c.cpu_sys_us : null,
      cpu_reader_us: c ? c.cpu_reader_us : null,
      cpu_us_per_tick: c && r!.ticks ? round(c.cpu_us / r!.ticks, 1) : null,
      cpu_us_per_row: c && r!.rows ? round(c.cpu_us / r!.rows, 2) : null,
      cpu_pct: c && r!.window_ms ? round((c.process_cpu_us / 1000 / r!.window_ms) * 100, 2) : null,
      netlink_syscalls: nl,
      syscr: c ? c.syscr : null,
      syscw: c ? c.syscw : null,
      max_rss_kb: c ? c.max_rss_kb : null,
      drops,
      window_ms: r ? round(r.window_ms, 1) : null,
    };
  });
}

/** Extra intervals the user asked about: predicted only. */
export function predictedOnly(
  lifetimes: readonly number[],
  intervals: readonly number[],
): Array<{ interval_ms: number; predicted_coverage: number | null; predicted_sigma: number | null }> {
  return intervals.map((p) => ({
    interval_ms: p,
    predicted_coverage: round(predictCoverage(lifetimes, p), 5),
    predicted_sigma: round(coverageSigma(lifetimes, p), 5),
  }));
}
