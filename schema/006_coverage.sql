-- One row per compare run per view per interval: what each view saw, missed
-- and cost (the product's coverage report).
CREATE TABLE IF NOT EXISTS {{db}}.coverage {{on_cluster}} (
  host {{lc}},
  ts {{ts}}{{c_ts}},
  run_id String,
  view {{lc}},
  interval_ms UInt32,
  window_ms UInt32,
  flows_seen UInt64,
  flows_missed UInt64,
  flows_late UInt64,
  bytes_seen UInt64,
  bytes_missed UInt64,
  events UInt64,
  dropped UInt64,
  cpu_us UInt64,
  tl_batch UInt64
) ENGINE = {{engine}}
PARTITION BY toDate(ts)
ORDER BY (host, ts, view)
{{ttl}};
