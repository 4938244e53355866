-- Peers that reset our connections most (events view: kind 7 = reset
-- received), with the resets we sent them (kind 6) beside. Addresses are
-- IPv6 bytes, IPv4 mapped (::ffff:a.b.c.d).
SELECT
  IPv6NumToString(dst) AS peer,
  dport AS peer_port,
  countIf(kind = 7) AS resets_received,
  countIf(kind = 6) AS resets_sent
FROM tcplens.tcp_events
WHERE ts >= toDateTime($from) AND ts < toDateTime($to) AND kind IN (6, 7)
GROUP BY peer, peer_port
ORDER BY resets_received DESC, resets_sent DESC
LIMIT 20
