-- question: flow-find
-- purpose: the sockets that match the filters in the window (tcplens flow by addresses and ports), from flows and events
-- requires: peer|local port|local_port|peer_port
-- param limit: uint = 20; rows at most
-- columns: cookie, netns_inode, src, sport, dst, dport, first_ns, last_ns
SELECT
  idiag_cookie AS cookie,
  netns_inode,
  any(src_text) AS src,
  any(src_port) AS sport,
  any(dst_text) AS dst,
  any(dst_port) AS dport,
  min(first) AS first_ns,
  max(last) AS last_ns
FROM
(
  SELECT idiag_cookie, netns_inode, src AS src_text, sport AS src_port, dst AS dst_text, dport AS dst_port,
    if(open_ns > 0, open_ns, first_seen_ns) AS first, last_seen_ns AS last
  FROM {{db}}.tcp_flows
  PREWHERE {{where:tcp_flows}} AND idiag_cookie != 0
  UNION ALL
  SELECT idiag_cookie, netns_inode, {{addr:src}} AS src_text, sport AS src_port, {{addr:dst}} AS dst_text, dport AS dst_port,
    ts_ns AS first, ts_ns AS last
  FROM {{db}}.tcp_events
  PREWHERE {{where:tcp_events}} AND idiag_cookie != 0
)
GROUP BY cookie, netns_inode
ORDER BY first_ns, cookie
LIMIT {{limit}}
