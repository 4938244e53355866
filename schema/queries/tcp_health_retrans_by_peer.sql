-- Finished flows per peer with their retransmission ratio (retransmitted
-- segments / segments sent) and RTT at close, from the flow table.
SELECT
  dst AS peer,
  count() AS flows,
  sum(tcpi_total_retrans) AS retransmits,
  sum(tcpi_segs_out) AS segs_out,
  if(segs_out = 0, 0, retransmits / segs_out) AS retrans_ratio,
  avg(tcpi_rtt) / 1000 AS avg_rtt_ms,
  sum(reset_events) AS resets
FROM tcplens.tcp_flows
WHERE ts >= toDateTime($from) AND ts < toDateTime($to)
GROUP BY peer
ORDER BY retransmits DESC
LIMIT 20
