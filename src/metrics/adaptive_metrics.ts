// tcplens_poll_coverage_*: the adaptive poll (--coverage-target), read at
// scrape time. The interval it chose is tcplens_poll_interval_seconds (the
// poll stage's, which follows the choice).
import type { Registry } from 'prom-client';
import { MetricSet } from './collected';
import type { PipelineStages } from './stages';
import { INTERVAL_LIMITS } from '../run/adaptive';

export function adaptiveMetrics(reg: Registry, stages: PipelineStages): void {
  new MetricSet(reg, () => stages.adaptive?.stats())
    .gauge('tcplens_poll_coverage_target', 'the share of flows the adaptive poll aims to see (--coverage-target)', (s) => s.target)
    .gauge(
      'tcplens_poll_coverage_predicted',
      'the share of flows the poll is predicted to see at the interval chosen, from the lifetimes seen and how late cycles came (absent until lifetimes are known)',
      (s) => (s.predictedCoverage === null ? [] : s.predictedCoverage),
    )
    .gauge('tcplens_poll_cpu_budget_ratio', 'the share of one CPU the poll may use (--cpu-budget)', (s) => s.cpuBudget)
    .gauge('tcplens_poll_cycle_cpu_seconds', 'CPU of one poll cycle, smoothed: what the budget is spent on', (s) => s.cycleCpuMs / 1000)
    .gauge('tcplens_poll_cycle_late_seconds', 'how much later than asked the recent cycles came, mean', (s) => s.lateMs / 1000)
    .gauge(
      'tcplens_poll_interval_limited',
      'what set the interval now (1 for it): target, budget (--cpu-budget), dump (a cycle outlasts it), floor (--min-interval), ceiling (--interval), no_data (no lifetimes yet)',
      (s) => INTERVAL_LIMITS.map((by) => ({ labels: { by }, value: s.limit === by ? 1 : 0 })),
    )
    .counter(
      'tcplens_poll_lifetimes_total',
      'flow lifetimes the adaptive poll learnt from (closes the events view reported)',
      (s) => s.lifetimes,
    );
}
