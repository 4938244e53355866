-- question: rtt-by-peer
-- purpose: smoothed RTT and min RTT percentiles per peer over time, from the polls of established sockets
-- param step: duration = 1m; width of a time bucket (whole seconds)
-- param limit: uint = 1000; rows at most
-- columns: t (bucket start), peer, sockets, polls, rtt_p50_ms, rtt_p90_ms, rtt_p99_ms, min_rtt_ms (lowest
--   tcpi_min_rtt seen), min_rtt_p50_ms
SELECT
  t,
  {{addr:dst}} AS peer,
  sockets,
  polls,
  round(rtt[1] / 1000, 3) AS rtt_p50_ms,
  round(rtt[2] / 1000, 3) AS rtt_p90_ms,
  round(rtt[3] / 1000, 3) AS rtt_p99_ms,
  round(min_rtt / 1000, 3) AS min_rtt_ms,
  round(min_rtt_p50 / 1000, 3) AS min_rtt_p50_ms
FROM
(
  -- grouped on the 16-byte address; made text once per group, not per row. The raw polls,
  -- not the rollup tcp_rtt_1m (011): its exact quantile states keep every RTT, so merging
  -- them cost as much as this (bench/queries run D: 0.57-1.10x a full scan against 0.58x)
  SELECT
    toDateTime(intDiv(toUInt32(ts), greatest(1, intDiv({{step}}, 1000000000))) * greatest(1, intDiv({{step}}, 1000000000))) AS t,
    dst,
    uniqExact(idiag_cookie) AS sockets,
    count() AS polls,
    quantiles(0.5, 0.9, 0.99)(tcpi_rtt) AS rtt,
    min(tcpi_min_rtt) AS min_rtt,
    quantile(0.5)(tcpi_min_rtt) AS min_rtt_p50
  FROM {{db}}.tcp_snapshots
  WHERE {{where:tcp_snapshots}} AND view = 'poll' AND idiag_state = 1 AND tcpi_rtt > 0
  GROUP BY t, dst
)
ORDER BY t, peer
LIMIT {{limit}}
