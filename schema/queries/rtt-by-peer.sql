-- question: rtt-by-peer
-- purpose: smoothed RTT and min RTT percentiles per peer over time, from the polls of established sockets
-- param step: duration = 1m; width of a time bucket (whole seconds; whole minutes read the rollup tcp_rtt_1m)
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
  -- grouped on the 16-byte address; made text once per group, not per row
  SELECT
    t,
    dst,
    uniqExactMerge(s_sockets) AS sockets,
    countMerge(s_polls) AS polls,
    quantilesMerge(0.5, 0.9, 0.99)(s_rtt) AS rtt,
    minMerge(s_min_rtt) AS min_rtt,
    quantileMerge(0.5)(s_min_rtt_p50) AS min_rtt_p50
  FROM
  (
    -- the whole minutes of the window the rollup holds (011), as aggregate states
    SELECT
      toDateTime(intDiv(toUInt32(minute), greatest(1, intDiv({{step}}, 1000000000))) * greatest(1, intDiv({{step}}, 1000000000))) AS t,
      dst,
      sockets AS s_sockets,
      polls AS s_polls,
      rtt_us AS s_rtt,
      min_rtt_us AS s_min_rtt,
      min_rtt_p50_us AS s_min_rtt_p50
    FROM {{db}}.tcp_rtt_1m
    WHERE {{rollup:tcp_rtt_1m}}
    UNION ALL
    -- the rest of the window from the raw polls, as the same states
    SELECT
      toDateTime(intDiv(toUInt32(ts), greatest(1, intDiv({{step}}, 1000000000))) * greatest(1, intDiv({{step}}, 1000000000))) AS t,
      dst,
      uniqExactState(idiag_cookie),
      countState(),
      quantilesState(0.5, 0.9, 0.99)(tcpi_rtt),
      minState(tcpi_min_rtt),
      quantileState(0.5)(tcpi_min_rtt)
    FROM {{db}}.tcp_snapshots
    WHERE {{where:tcp_snapshots}} AND {{outside:tcp_rtt_1m}} AND view = 'poll' AND idiag_state = 1 AND tcpi_rtt > 0
    GROUP BY t, dst
  )
  GROUP BY t, dst
)
ORDER BY t, peer
LIMIT {{limit}}
