-- question: rtt-over-time
-- purpose: smoothed RTT of established sockets over time, all peers together, from the polls
-- param step: duration = 1m; width of a time bucket (whole seconds)
-- param limit: uint = 10000; rows at most
-- columns: t (bucket start), polls, rtt_p50_ms, rtt_p99_ms
SELECT
  t,
  polls,
  round(rtt[1] / 1000, 3) AS rtt_p50_ms,
  round(rtt[2] / 1000, 3) AS rtt_p99_ms
FROM
(
  SELECT
    toDateTime(intDiv(toUInt32(ts), greatest(1, intDiv({{step}}, 1000000000))) * greatest(1, intDiv({{step}}, 1000000000))) AS t,
    count() AS polls,
    quantiles(0.5, 0.99)(tcpi_rtt) AS rtt
  FROM {{db}}.tcp_snapshots
  WHERE {{where:tcp_snapshots}} AND view = 'poll' AND idiag_state = 1 AND tcpi_rtt > 0
  GROUP BY t
)
ORDER BY t
LIMIT {{limit}}
