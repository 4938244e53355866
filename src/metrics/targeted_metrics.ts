// tcplens_targeted_*: the targeted view (--snapshot-on), read at scrape time.
// What came in (triggers), what was asked (requests), what came of it
// (answered, gone, failed) and what was never asked (coalesced, dropped).
import type { Registry } from 'prom-client';
import { MetricSet } from './collected';
import type { PipelineStages } from './stages';

export function targetedMetrics(reg: Registry, stages: PipelineStages): void {
  new MetricSet(reg, () => stages.targeted?.stats())
    .counter('tcplens_targeted_triggers_total', 'events that asked for a targeted snapshot, per trigger', (s) =>
      Object.entries(s.triggered).map(([trigger, value]) => ({ labels: { trigger }, value })),
    )
    .counter('tcplens_targeted_requests_total', 'exact-match inet_diag requests sent', (s) => s.requested)
    .counter(
      'tcplens_targeted_snapshots_total',
      'targeted snapshots by outcome (answered: written; gone: the socket closed before it was asked or the kernel had no such socket; failed: request error)',
      (s) => [
        { labels: { outcome: 'answered' }, value: s.answered },
        { labels: { outcome: 'gone' }, value: s.gone },
        { labels: { outcome: 'failed' }, value: s.failed },
      ],
    )
    .counter('tcplens_targeted_coalesced_total', 'retransmits that joined a waiting or recent retransmit snapshot', (s) => s.coalesced)
    .counter(
      'tcplens_targeted_dropped_total',
      'targets never asked (limit: --snapshot-rate; queue: too many waiting; netns: namespace not watched)',
      (s) => Object.entries(s.dropped).map(([reason, value]) => ({ labels: { reason }, value })),
    )
    .gauge('tcplens_targeted_pending', 'targets waiting for their delay', (s) => s.pending);
}
