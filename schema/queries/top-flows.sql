-- question: top-flows
-- purpose: the finished flows that moved the most bytes (acked + received)
-- param limit: uint = 20; rows at most
-- columns: cookie (for tcplens flow), netns_inode, src, sport, dst, dport, comm, pid, bytes_out, bytes_in,
--   bytes, duration_s (0 = lifetime unknown), close_reason, closed
SELECT
  idiag_cookie AS cookie,
  netns_inode,
  src,
  sport,
  dst,
  dport,
  comm,
  tgid AS pid,
  tcpi_bytes_acked AS bytes_out,
  tcpi_bytes_received AS bytes_in,
  bytes_out + bytes_in AS bytes,
  round(duration_ns / 1000000000, 3) AS duration_s,
  close_reason,
  ts AS closed
FROM {{db}}.tcp_flows
WHERE {{where:tcp_flows}}
ORDER BY bytes DESC, cookie
LIMIT {{limit}}
