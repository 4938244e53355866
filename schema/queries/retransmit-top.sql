-- question: retransmit-top
-- purpose: who retransmits most: retransmitted/sent segments and bytes of finished flows, by peer, process or cgroup
-- param by: enum(peer,process,cgroup) = peer; group by the peer address, the process (comm) or the cgroup id
-- param limit: uint = 20; rows at most
-- columns: key (peer address, comm or cgroup id), flows, segs_out, retrans_segs, retrans_ratio
--   (retransmitted / sent segments), bytes_sent, bytes_retrans, bytes_ratio, retransmit_events (events view)
SELECT
  multiIf({{by}} = 'process', comm, {{by}} = 'cgroup', toString(cgroup_id), dst) AS key,
  count() AS flows,
  sum(tcpi_segs_out) AS segs_out,
  sum(tcpi_total_retrans) AS retrans_segs,
  if(segs_out = 0, 0, round(retrans_segs / segs_out, 4)) AS retrans_ratio,
  sum(tcpi_bytes_sent) AS bytes_sent,
  sum(tcpi_bytes_retrans) AS bytes_retrans,
  if(bytes_sent = 0, 0, round(bytes_retrans / bytes_sent, 4)) AS bytes_ratio,
  sum(retransmit_events) AS retransmit_events
FROM {{db}}.tcp_flows
WHERE {{where:tcp_flows}}
GROUP BY key
ORDER BY retrans_segs DESC, retransmit_events DESC, bytes_retrans DESC, key
LIMIT {{limit}}
