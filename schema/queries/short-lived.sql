-- question: short-lived
-- purpose: short-lived connections: their count and share of all finished flows, by process and peer
-- param shorter_than: duration = 1s; a flow is short below this lifetime (flows of unknown lifetime are not short)
-- param limit: uint = 20; rows at most
-- columns: comm, peer, flows, short, short_share (short / flows), median_ms (median known lifetime)
SELECT
  comm,
  dst AS peer,
  count() AS flows,
  countIf(duration_ns > 0 AND duration_ns < {{shorter_than}}) AS short,
  round(short / flows, 4) AS short_share,
  round(quantileIf(0.5)(duration_ns, duration_ns > 0) / 1000000, 3) AS median_ms
FROM {{db}}.tcp_flows
WHERE {{where:tcp_flows}}
GROUP BY comm, peer
HAVING short > 0
ORDER BY short DESC, flows DESC, comm, peer
LIMIT {{limit}}
