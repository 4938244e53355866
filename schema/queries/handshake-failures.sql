-- question: handshake-failures
-- purpose: connects that never reached ESTABLISHED, by peer: refused (reset received) or timed out, with their SYN retransmits
-- param limit: uint = 20; rows at most
-- columns: peer, peer_port, connects (active opens), failed (closed in SYN_SENT/SYN_RECV), refused (a reset
--   answered the SYN), timed_out (no answer: the kernel gave up, or the application closed while waiting),
--   syn_retrans (retransmitted segments of the failed: SYNs)
SELECT
  dst AS peer,
  dport AS peer_port,
  countIf(direction = 1) AS connects,
  countIf(handshake = 0) AS failed,
  countIf(handshake = 0 AND close_reason = 'reset_received') AS refused,
  countIf(handshake = 0 AND close_reason = 'timeout') AS timed_out,
  sumIf(tcpi_total_retrans, handshake = 0) AS syn_retrans
FROM {{db}}.tcp_flows
WHERE {{where:tcp_flows}}
GROUP BY peer, peer_port
HAVING failed > 0
ORDER BY failed DESC, peer, peer_port
LIMIT {{limit}}
