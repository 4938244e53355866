-- Retransmissions per second over time, from the events view (kind 5 =
-- tcp_retransmit_skb). Grafana (Altinity ClickHouse plugin) replaces $from,
-- $to (unix seconds) and $interval (seconds); t is milliseconds.
SELECT
  intDiv(toUInt32(ts), $interval) * $interval * 1000 AS t,
  count() / $interval AS retransmits_per_s
FROM tcplens.tcp_events
WHERE ts >= toDateTime($from) AND ts < toDateTime($to) AND kind = 5
GROUP BY t
ORDER BY t
