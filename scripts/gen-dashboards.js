#!/usr/bin/env node
// Writes deploy/grafana/tcplens.json (pipeline health, Prometheus) and
// deploy/grafana/tcp-health.json (TCP health, ClickHouse): its panels are the saved
// questions of schema/queries/ (the files `tcplens query` runs), rendered by
// src/query/dashboard_sql.ts for 18.16 and for modern servers (one file while
// both renderings agree, else tcp-health-modern.json beside it). Edit here, run
// `npm run build:ts && node scripts/gen-dashboards.js`; test/metrics/dashboards.test.ts
// checks the committed files match, test/metrics/tcp_health_sql.test.ts runs the panels.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const PROM = { type: 'prometheus', uid: '${datasource}' };
const CH = { type: 'vertamedia-clickhouse-datasource', uid: '${datasource}' };
const SEL = 'instance=~"$instance"';

function builder() {
  let id = 0,
    y = 0,
    x = 0;
  const panels = [];
  return {
    panels,
    row(title) {
      if (x) {
        y += 8;
        x = 0;
      }
      panels.push({ type: 'row', id: ++id, title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    },
    panel(p, w = 8) {
      if (x + w > 24) {
        y += 8;
        x = 0;
      }
      panels.push({ id: ++id, gridPos: { h: 8, w, x, y }, ...p });
      x += w;
    },
  };
}

function ts(title, targets, unit = 'short', opts = {}) {
  return {
    type: 'timeseries',
    title,
    datasource: PROM,
    fieldConfig: { defaults: { unit, custom: opts.stack ? { stacking: { mode: 'normal' } } : {} }, overrides: [] },
    targets: targets.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), datasource: PROM, expr, legendFormat })),
    ...(opts.description ? { description: opts.description } : {}),
  };
}

function pipeline() {
  const b = builder();
  b.row('Overview');
  b.panel({
    ...ts('Up and ready', [
      [`up{${SEL}}`, 'up {{instance}}'],
      [`time() - tcplens_poll_last_cycle_timestamp_seconds{${SEL}}`, 'seconds since last poll {{instance}}'],
    ]),
  });
  b.panel(
    ts(
      'Poll cycle duration',
      [
        [
          `histogram_quantile(0.5, sum by (le, instance) (rate(tcplens_poll_cycle_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
          'p50 {{instance}}',
        ],
        [
          `histogram_quantile(0.99, sum by (le, instance) (rate(tcplens_poll_cycle_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
          'p99 {{instance}}',
        ],
        [`tcplens_poll_interval_seconds{${SEL}}`, 'interval {{instance}}'],
      ],
      's',
      { description: 'Cycles longer than the interval are overruns.' },
    ),
  );
  b.panel(
    ts(
      'Poll cycles and overruns',
      [
        [`rate(tcplens_poll_cycles_total{${SEL}}[$__rate_interval])`, 'cycles/s {{instance}}'],
        [`rate(tcplens_poll_overruns_total{${SEL}}[$__rate_interval])`, 'overruns/s {{instance}}'],
      ],
      'ops',
    ),
  );

  b.row('Poll view: in / out / errors');
  b.panel(
    ts(
      'In: netlink messages and bytes',
      [
        [`sum by (instance) (rate(tcplens_netlink_messages_total{view="poll",${SEL}}[$__rate_interval]))`, 'messages/s {{instance}}'],
        [`sum by (instance) (rate(tcplens_netlink_requests_total{view="poll",${SEL}}[$__rate_interval]))`, 'dump requests/s {{instance}}'],
      ],
      'ops',
    ),
  );
  b.panel(
    ts('Out: sockets handed on', [
      [`rate(tcplens_poll_sockets_total{${SEL}}[$__rate_interval])`, 'sockets/s {{instance}}'],
      [`tcplens_poll_sockets{${SEL}}`, 'sockets in last cycle {{instance}}'],
    ]),
  );
  b.panel(
    ts(
      'Errors and drops',
      [
        [`sum by (instance, kind) (rate(tcplens_netlink_errors_total{view="poll",${SEL}}[$__rate_interval]))`, '{{kind}} {{instance}}'],
        [
          `sum by (instance, kind) (rate(tcplens_netlink_tolerated_total{view="poll",${SEL}}[$__rate_interval]))`,
          'tolerated {{kind}} {{instance}}',
        ],
      ],
      'ops',
    ),
  );
  b.panel(
    ts('Namespaces', [
      [`tcplens_netns_tracked{${SEL}}`, 'tracked {{view}} {{instance}}'],
      [`tcplens_netns_failing{${SEL}}`, 'failing {{view}} {{instance}}'],
      [`increase(tcplens_netns_added_total{${SEL}}[$__rate_interval])`, 'added {{view}} {{instance}}'],
      [`increase(tcplens_netns_removed_total{${SEL}}[$__rate_interval])`, 'removed {{view}} {{instance}}'],
    ]),
  );
  b.panel(
    ts(
      'Netlink bytes',
      [[`sum by (instance, view) (rate(tcplens_netlink_bytes_total{${SEL}}[$__rate_interval]))`, '{{view}} {{instance}}']],
      'Bps',
    ),
  );

  b.row('Destroy view: in / out / errors');
  b.panel(
    ts(
      'In: destroy messages',
      [[`rate(tcplens_netlink_messages_total{view="destroy",${SEL}}[$__rate_interval])`, 'messages/s {{instance}}']],
      'ops',
    ),
  );
  b.panel(ts('Out: destroyed sockets', [[`rate(tcplens_destroy_rows_total{${SEL}}[$__rate_interval])`, 'rows/s {{instance}}']], 'ops'));
  b.panel(
    ts(
      'Errors and drops (dropped = lost closes)',
      [
        [`sum by (instance, kind) (rate(tcplens_netlink_errors_total{view="destroy",${SEL}}[$__rate_interval]))`, '{{kind}} {{instance}}'],
        [`rate(tcplens_destroy_errors_total{${SEL}}[$__rate_interval])`, 'socket errors {{instance}}'],
      ],
      'ops',
    ),
  );

  b.row('Events view (eBPF ring buffers): in / out / errors');
  b.panel(
    ts(
      'In: records read per program',
      [[`sum by (instance, program) (rate(tcplens_events_read_total{${SEL}}[$__rate_interval]))`, '{{program}} {{instance}}']],
      'ops',
    ),
  );
  b.panel(
    ts(
      'Out: rows to correlation',
      [
        [`rate(tcplens_events_rows_total{${SEL}}[$__rate_interval])`, 'rows/s {{instance}}'],
        [`rate(tcplens_events_bytes_total{${SEL}}[$__rate_interval])`, 'ring bytes/s {{instance}}'],
      ],
      'ops',
    ),
  );
  b.panel(
    ts(
      'Lost and malformed',
      [
        [`sum by (instance, program) (rate(tcplens_events_lost_total{${SEL}}[$__rate_interval]))`, 'lost {{program}} {{instance}}'],
        [`rate(tcplens_events_errors_total{${SEL}}[$__rate_interval])`, 'malformed {{instance}}'],
      ],
      'ops',
    ),
  );

  b.row('Samples view (task iterator): in / out / errors');
  b.panel(
    ts('Iterations and time per run', [
      [`rate(tcplens_samples_iterations_total{${SEL}}[$__rate_interval])`, 'runs/s {{instance}}'],
      [
        `rate(tcplens_samples_iteration_seconds_total{${SEL}}[$__rate_interval]) / rate(tcplens_samples_iterations_total{${SEL}}[$__rate_interval])`,
        'seconds/run {{instance}}',
      ],
    ]),
  );
  b.panel(ts('Out: task records', [[`rate(tcplens_samples_records_total{${SEL}}[$__rate_interval])`, 'records/s {{instance}}']], 'ops'));
  b.panel(
    ts(
      'Errors and drops',
      [
        [`rate(tcplens_samples_errors_total{${SEL}}[$__rate_interval])`, 'errors {{instance}}'],
        [`rate(tcplens_samples_dropped_total{${SEL}}[$__rate_interval])`, 'dropped {{instance}}'],
      ],
      'ops',
    ),
  );

  b.row('Flows and coverage per view');
  b.panel(
    ts('Flow table', [
      [`tcplens_flows_open{${SEL}}`, 'open {{instance}}'],
      [`rate(tcplens_flows_opened_total{${SEL}}[$__rate_interval])`, 'opened/s {{instance}}'],
      [`rate(tcplens_flows_closed_total{${SEL}}[$__rate_interval])`, 'closed/s {{instance}}'],
      [`rate(tcplens_flows_evicted_total{${SEL}}[$__rate_interval])`, 'evicted/s {{instance}}'],
      [`rate(tcplens_flows_reports_total{outcome="unkeyed",${SEL}}[$__rate_interval])`, 'unkeyed reports/s {{instance}}'],
    ]),
  );
  b.panel(
    ts(
      'Finished flows by the views that saw them',
      [[`sum by (views) (rate(tcplens_flows_by_views_total{${SEL}}[$__rate_interval]))`, '{{views}}']],
      'ops',
      { stack: true },
    ),
    16,
  );

  b.row('Sink (ClickHouse): in / out / errors');
  b.panel(
    ts('Rows by outcome', [[`sum by (outcome) (rate(tcplens_sink_rows_total{${SEL}}[$__rate_interval]))`, '{{outcome}}']], 'ops', {
      description: 'queued is the input; written + spooled + dropped the output.',
    }),
  );
  b.panel(
    ts(
      'Insert latency',
      [
        [
          `histogram_quantile(0.5, sum by (le, instance) (rate(tcplens_sink_insert_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
          'p50 {{instance}}',
        ],
        [
          `histogram_quantile(0.99, sum by (le, instance) (rate(tcplens_sink_insert_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
          'p99 {{instance}}',
        ],
      ],
      's',
    ),
  );
  b.panel(
    ts(
      'Insert errors and batches',
      [
        [`sum by (table) (rate(tcplens_sink_insert_errors_total{${SEL}}[$__rate_interval]))`, 'errors {{table}}'],
        [`sum by (outcome) (rate(tcplens_sink_batches_total{${SEL}}[$__rate_interval]))`, 'batches {{outcome}}'],
      ],
      'ops',
    ),
  );
  b.panel(
    ts(
      'Spool (backpressure)',
      [
        [`tcplens_sink_spool_bytes{${SEL}}`, 'spool {{instance}}'],
        [`tcplens_sink_spool_budget_bytes{${SEL}}`, 'budget {{instance}}'],
      ],
      'bytes',
    ),
  );
  b.panel(
    ts('Queue', [
      [`tcplens_sink_queue_rows{${SEL}}`, 'queued rows {{instance}}'],
      [`tcplens_sink_queue_capacity_rows{${SEL}}`, 'capacity {{instance}}'],
    ]),
  );
  b.panel(ts('State', [[`tcplens_sink_state{${SEL}} == 1`, '{{state}} {{instance}}']]));

  b.row('Process and BPF cost');
  b.panel(ts('CPU', [[`rate(tcplens_process_cpu_seconds_total{${SEL}}[$__rate_interval])`, 'cores {{instance}}']]));
  b.panel(ts('Event-loop lag', [[`tcplens_nodejs_eventloop_lag_p99_seconds{${SEL}}`, 'p99 {{instance}}']], 's'));
  b.panel(ts('Memory', [[`tcplens_process_resident_memory_bytes{${SEL}}`, 'rss {{instance}}']], 'bytes'));
  b.panel(
    ts(
      'BPF program time per run',
      [
        [
          `rate(tcplens_bpf_prog_run_seconds_total{${SEL}}[10m]) / rate(tcplens_bpf_prog_runs_total{${SEL}}[10m])`,
          '{{program}} {{instance}}',
        ],
      ],
      's',
      {
        description:
          'Counted while tcplens holds BPF run-time stats (--bpf-stats: 10 s of every 5 min by default), hence the 10 min range.',
      },
    ),
  );
  b.panel(
    ts(
      'BPF program CPU (while stats are held)',
      [
        [
          `rate(tcplens_bpf_prog_run_seconds_total{${SEL}}[10m]) / on(instance) group_left() rate(tcplens_bpf_stats_held_seconds_total{${SEL}}[10m])`,
          '{{program}} {{instance}}',
        ],
      ],
      'percentunit',
      { description: 'Kernel time in each program per second of the windows in which the kernel counted it (--bpf-stats).' },
    ),
  );
  b.panel(ts('Open fds', [[`tcplens_process_open_fds{${SEL}}`, '{{instance}}']]));

  return {
    uid: 'tcplens-pipeline',
    title: 'tcplens pipeline',
    tags: ['tcplens'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' },
        {
          name: 'instance',
          type: 'query',
          datasource: PROM,
          query: 'label_values(tcplens_build_info, instance)',
          refresh: 2,
          includeAll: true,
          multi: true,
          current: { text: 'All', value: '$__all' },
        },
      ],
    },
    panels: b.panels,
  };
}

function dist(mod) {
  try {
    return require(path.join(root, 'dist', 'src', 'query', mod));
  } catch (e) {
    throw new Error(`gen-dashboards: ${e.message.split('\n')[0]} (run npm run build:ts first)`);
  }
}

/** A panel of the saved question `name`: a table of its rows, or (values given) a time series of those columns. */
function chPanel(dialect, title, name, values, unit = 'short') {
  const { loadLibrary } = dist('library');
  const { dashboardSql, timeSeriesSql } = dist('dashboard_sql');
  const q = loadLibrary().get(name);
  if (!q) throw new Error(`gen-dashboards: no saved question ${name} in schema/queries/`);
  const query = values ? timeSeriesSql(q, dialect, values) : dashboardSql(q, dialect);
  return {
    type: values ? 'timeseries' : 'table',
    title,
    datasource: CH,
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: [{ refId: 'A', datasource: CH, query, rawQuery: true, format: values ? 'time_series' : 'table' }],
    description: `${q.purpose}. Saved question ${name} (schema/queries/${name}.sql; tcplens query ${name} asks the same).`,
  };
}

function health(dialect, suffix = '') {
  const b = builder();
  b.row('TCP health over time');
  b.panel(chPanel(dialect, 'Retransmissions per second', 'retransmit-rate', ['retransmits_per_s'], 'ops'), 12);
  b.panel(chPanel(dialect, 'RTT of established sockets', 'rtt-over-time', ['rtt_p50_ms', 'rtt_p99_ms'], 'ms'), 12);
  b.row('Who and where');
  b.panel(chPanel(dialect, 'Retransmissions by peer (finished flows)', 'retransmit-top'), 12);
  b.panel(chPanel(dialect, 'Resets by peer, direction and state', 'resets-by-peer'), 12);
  b.panel(chPanel(dialect, 'Handshake failures by peer', 'handshake-failures'), 12);
  b.panel(chPanel(dialect, 'Slow receivers and senders', 'slow-endpoints'), 12);
  b.panel(chPanel(dialect, 'Listen-queue overflows', 'listen-overflows'), 12);
  b.panel(chPanel(dialect, 'Short-lived connections', 'short-lived'), 12);
  b.row('Flows and views');
  b.panel(chPanel(dialect, 'Top flows by bytes', 'top-flows'), 12);
  b.panel(chPanel(dialect, 'What each view saw', 'view-coverage'), 12);
  return {
    uid: `tcplens-tcp-health${suffix}`,
    title: `tcplens TCP health${suffix ? ` (${suffix.slice(1)} ClickHouse)` : ''}`,
    tags: ['tcplens'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'vertamedia-clickhouse-datasource', label: 'ClickHouse' }] },
    panels: b.panels,
  };
}

function dashboards() {
  const { LEGACY, MODERN } = require(path.join(root, 'dist', 'src', 'sinks', 'clickhouse', 'dialect'));
  const out = { 'tcplens.json': pipeline(), 'tcp-health.json': health(LEGACY) };
  // the modern rendering differs only where the questions do: then a second file
  const modern = health(MODERN, '-modern');
  const same = JSON.stringify(modern.panels) === JSON.stringify(out['tcp-health.json'].panels);
  if (!same) out['tcp-health-modern.json'] = modern;
  return out;
}

const out = dashboards();
if (require.main === module) {
  for (const [f, d] of Object.entries(out)) fs.writeFileSync(path.join(root, 'deploy', 'grafana', f), `${JSON.stringify(d, null, 2)}\n`);
}
module.exports = { dashboards: () => out };
