-- question: flow-timeline
-- purpose: one socket's timeline (tcplens flow COOKIE): every snapshot, event and sample of it, in order
-- param cookie: uint; the socket cookie (idiag_cookie; top-flows prints it)
-- param limit: uint = 10000; rows at most
-- columns: ts_ns, source (poll, destroy, events, samples), what (event kind, thread state), state, counters
--   (1 when the byte/segment columns hold the socket's counters), bytes_acked, bytes_received, segs_out,
--   retrans, rtt_us, pid, comm, netns_inode
SELECT * FROM
(
  SELECT
    ts_ns, toString(view) AS source, '' AS what, toUInt32(idiag_state) AS state, toUInt8(1) AS counters,
    tcpi_bytes_acked AS bytes_acked, tcpi_bytes_received AS bytes_received,
    toUInt64(tcpi_segs_out) AS segs_out, toUInt64(tcpi_total_retrans) AS retrans, toUInt64(tcpi_rtt) AS rtt_us,
    toUInt32(0) AS pid, '' AS comm, netns_inode
  FROM {{db}}.tcp_snapshots
  PREWHERE idiag_cookie = {{cookie}} AND {{where:tcp_snapshots}}
  UNION ALL
  SELECT
    ts_ns, 'events' AS source,
    transform(toUInt32(kind), [1, 2, 3, 4, 5, 6, 7],
      ['active_open', 'passive_open', 'close', 'state', 'retransmit', 'reset_sent', 'reset_received'], 'unknown') AS what,
    toUInt32(newstate) AS state, toUInt8(bitAnd(flags, 1)) AS counters,
    tcpi_bytes_acked AS bytes_acked, tcpi_bytes_received AS bytes_received,
    toUInt64(tcpi_segs_out) AS segs_out, toUInt64(tcpi_total_retrans) AS retrans, toUInt64(tcpi_rtt) AS rtt_us,
    tgid AS pid, toString(comm) AS comm, netns_inode
  FROM {{db}}.tcp_events
  PREWHERE idiag_cookie = {{cookie}} AND {{where:tcp_events}}
  UNION ALL
  SELECT
    ts_ns, 'samples' AS source, concat('task ', toString(task_state), ' syscall ', toString(syscall_nr)) AS what,
    toUInt32(idiag_state) AS state, toUInt8(0) AS counters,
    toUInt64(0) AS bytes_acked, toUInt64(0) AS bytes_received, toUInt64(0) AS segs_out, toUInt64(0) AS retrans,
    toUInt64(0) AS rtt_us, tgid AS pid, toString(comm) AS comm, netns_inode
  FROM {{db}}.task_samples
  PREWHERE idiag_cookie = {{cookie}} AND {{where:task_samples}}
)
ORDER BY ts_ns, source
LIMIT {{limit}}
