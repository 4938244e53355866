-- The samples view (native/sample_columns.h): what each thread was doing at
-- each sample (TL_SAMPLE_COLUMNS) and who owns which socket (TL_OWNER_COLUMNS).
CREATE TABLE IF NOT EXISTS {{db}}.task_samples {{on_cluster}} (
  host {{lc}},
  ts {{ts}}{{c_ts}},
  src FixedString(16),
  dst FixedString(16),
  ts_ns UInt64{{c_ts}},
  idiag_cookie UInt64,
  netns_inode UInt64,
  cgroup_id UInt64,
  sample_seq UInt32{{c_u}},
  pid UInt32,
  tgid UInt32,
  comm {{lc}},
  task_state UInt32,
  syscall_nr UInt32,
  idiag_inode UInt32,
  sport UInt16,
  dport UInt16,
  idiag_family UInt8,
  idiag_state UInt8,
  flags UInt8,
  tl_batch UInt64
) ENGINE = {{engine}}
PARTITION BY toDate(ts)
ORDER BY (host, ts, tgid, pid)
{{ttl}};

CREATE TABLE IF NOT EXISTS {{db}}.socket_owners {{on_cluster}} (
  host {{lc}},
  ts {{ts}}{{c_ts}},
  idiag_cookie UInt64,
  netns_inode UInt64,
  cgroup_id UInt64,
  idiag_inode UInt32,
  tgid UInt32,
  pid UInt32,
  fd UInt32,
  comm {{lc}},
  tl_batch UInt64
) ENGINE = {{engine}}
PARTITION BY toDate(ts)
ORDER BY (host, ts, netns_inode, idiag_cookie)
{{ttl}};
