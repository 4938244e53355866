-- Smoothed RTT of established sockets (idiag_state 1) over time, from the
-- poll view's snapshots: median and 99th percentile, milliseconds.
SELECT
  intDiv(toUInt32(ts), $interval) * $interval * 1000 AS t,
  quantile(0.5)(tcpi_rtt) / 1000 AS rtt_p50_ms,
  quantile(0.99)(tcpi_rtt) / 1000 AS rtt_p99_ms
FROM tcplens.tcp_snapshots
WHERE ts >= toDateTime($from) AND ts < toDateTime($to) AND idiag_state = 1
GROUP BY t
ORDER BY t
