-- question: view-coverage
-- purpose: what each combination of views saw of the finished flows, and what a poll every --interval would have missed
-- param interval: duration = 10s; the poll interval to predict for
-- param limit: uint = 20; rows at most
-- columns: seen_by (the views that saw the flows, as poll+destroy+events+samples), flows, bytes, bytes_unpolled (moved after the last poll saw
--   them), known_lifetime (flows whose lifetime is known), would_miss (expected flows a poll every --interval
--   with a random phase misses: sum of 1 - min(1, lifetime / interval)), would_miss_share
SELECT
  arrayStringConcat(arrayFilter(x -> x != '', [
    if(bitAnd(views, 1) != 0, 'poll', ''), if(bitAnd(views, 2) != 0, 'destroy', ''),
    if(bitAnd(views, 4) != 0, 'events', ''), if(bitAnd(views, 8) != 0, 'samples', '')]), '+') AS seen_by,
  flows,
  bytes,
  bytes_unpolled,
  known_lifetime,
  round(miss, 2) AS would_miss,
  if(known_lifetime = 0, 0, round(would_miss / known_lifetime, 4)) AS would_miss_share
FROM
(
  -- grouped on the views bitmask (one byte); named once per group, not per flow
  SELECT
    views,
    count() AS flows,
    sum(tcpi_bytes_acked + tcpi_bytes_received) AS bytes,
    sum(bytes_unpolled) AS bytes_unpolled,
    countIf(duration_ns > 0) AS known_lifetime,
    sumIf(1 - least(1., duration_ns / {{interval}}), duration_ns > 0) AS miss
  FROM {{db}}.tcp_flows
  WHERE {{where:tcp_flows}}
  GROUP BY views
)
ORDER BY flows DESC, seen_by
LIMIT {{limit}}
