-- One row per finished (or evicted) flow: src/correlate/flow_row.ts FlowRow.
-- ts = close time, else last seen. Addresses are text as in FlowRow.
CREATE TABLE IF NOT EXISTS {{db}}.tcp_flows {{on_cluster}} (
  host {{lc}},
  ts {{ts}}{{c_ts}},
  netns_inode UInt64,
  idiag_cookie UInt64,
  idiag_family UInt8,
  src String,
  sport UInt16,
  dst String,
  dport UInt16,
  views UInt8,
  open_ns UInt64{{c_ts}},
  close_ns UInt64{{c_ts}},
  first_seen_ns UInt64{{c_ts}},
  last_seen_ns UInt64{{c_ts}},
  first_poll_ns UInt64{{c_ts}},
  last_poll_ns UInt64{{c_ts}},
  polls UInt32{{c_u}},
  duration_ns UInt64{{c_u}},
  final_source {{lc}},
  direction UInt8,
  tcpi_bytes_acked UInt64{{c_u}},
  tcpi_bytes_received UInt64{{c_u}},
  tcpi_segs_in UInt32{{c_u}},
  tcpi_segs_out UInt32{{c_u}},
  tcpi_total_retrans UInt32{{c_u}},
  tcpi_rtt UInt32{{c_u}},
  bytes_unpolled UInt64{{c_u}},
  peak_bytes_per_s UInt64{{c_u}},
  peak_retrans UInt32{{c_u}},
  retransmit_events UInt32{{c_u}},
  reset_events UInt32{{c_u}},
  pid UInt32,
  tgid UInt32,
  comm {{lc}},
  cgroup_id UInt64,
  evicted UInt8,
  tl_batch UInt64
) ENGINE = {{engine}}
PARTITION BY toDate(ts)
ORDER BY (host, ts, dst, dport)
{{ttl}};
