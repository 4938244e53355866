-- One row per namespace per poll cycle: what the poll view cost and where it failed.
CREATE TABLE IF NOT EXISTS {{db}}.poll_cycles {{on_cluster}} (
  host {{lc}},
  ts {{ts}}{{c_ts}},
  ts_ns UInt64{{c_ts}},
  netns_inode UInt64,
  netns_name String,
  duration_us UInt32{{c_u}},
  sockets UInt32{{c_u}},
  batches UInt32{{c_u}},
  bytes UInt64{{c_u}},
  errors UInt32,
  errno UInt32,
  error_code {{lc}},
  tl_batch UInt64
) ENGINE = {{engine}}
PARTITION BY toDate(ts)
ORDER BY (host, ts, netns_inode)
{{ttl}};
