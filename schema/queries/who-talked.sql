-- question: who-talked
-- purpose: who talked to a peer (--peer, an address or CIDR) in the window: process, pid, cgroup, namespace, bytes
-- requires: peer
-- param limit: uint = 50; rows at most
-- columns: comm, pid (tgid), cgroup_id, netns_inode, peer, flows, bytes_out (acked by the peer),
--   bytes_in (received), first_open (earliest open or first sight), last_close
SELECT
  comm,
  tgid AS pid,
  cgroup_id,
  netns_inode,
  dst AS peer,
  count() AS flows,
  sum(tcpi_bytes_acked) AS bytes_out,
  sum(tcpi_bytes_received) AS bytes_in,
  toDateTime(intDiv(min(if(open_ns > 0, open_ns, first_seen_ns)), 1000000000)) AS first_open,
  max(ts) AS last_close
FROM {{db}}.tcp_flows
PREWHERE {{where:tcp_flows}}
GROUP BY comm, pid, cgroup_id, netns_inode, peer
ORDER BY bytes_out + bytes_in DESC, flows DESC, comm, pid
LIMIT {{limit}}
