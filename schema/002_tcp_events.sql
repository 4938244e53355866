-- One row per eBPF event (native/event_columns.h TL_EVENT_COLUMNS); comm as
-- its name. kind: 1 active open, 2 passive open, 3 close, 4 state, 5
-- retransmit, 6 reset sent, 7 reset received.
CREATE TABLE IF NOT EXISTS {{db}}.tcp_events {{on_cluster}} (
  host {{lc}},
  ts {{ts}}{{c_ts}},
  src FixedString(16),
  dst FixedString(16),
  ts_ns UInt64{{c_ts}},
  idiag_cookie UInt64,
  netns_inode UInt64,
  cgroup_id UInt64,
  duration_ns UInt64{{c_u}},
  tcpi_bytes_acked UInt64{{c_u}},
  tcpi_bytes_received UInt64{{c_u}},
  pid UInt32,
  tgid UInt32,
  comm {{lc}},
  tcpi_segs_in UInt32{{c_u}},
  tcpi_segs_out UInt32{{c_u}},
  tcpi_total_retrans UInt32{{c_u}},
  tcpi_rtt UInt32{{c_u}},
  tcpi_rttvar UInt32{{c_u}},
  tcpi_delivered UInt32{{c_u}},
  tcpi_lost UInt32{{c_u}},
  sport UInt16,
  dport UInt16,
  kind UInt8,
  idiag_family UInt8,
  oldstate UInt8,
  newstate UInt8,
  flags UInt8,
  tl_batch UInt64
) ENGINE = {{engine}}
PARTITION BY toDate(ts)
ORDER BY (host, ts, dst, dport)
{{ttl}};
