-- question: retransmit-rate
-- purpose: retransmissions per second over time, from the events view (tcp_retransmit_skb)
-- param step: duration = 1m; width of a time bucket (whole seconds)
-- param limit: uint = 10000; rows at most
-- columns: t (bucket start), retransmits, retransmits_per_s
SELECT
  toDateTime(intDiv(toUInt32(ts), greatest(1, intDiv({{step}}, 1000000000))) * greatest(1, intDiv({{step}}, 1000000000))) AS t,
  count() AS retransmits,
  round(retransmits / greatest(1, intDiv({{step}}, 1000000000)), 3) AS retransmits_per_s
FROM {{db}}.tcp_events
WHERE {{where:tcp_events}} AND kind = 5
GROUP BY t
ORDER BY t
LIMIT {{limit}}
