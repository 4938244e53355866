-- question: resets-by-peer
-- purpose: resets by peer, direction (sent/received) and the TCP state they hit, from the events view
-- param limit: uint = 50; rows at most
-- columns: peer, peer_port, direction (sent: we reset them; received: they reset us), state (the socket's
--   state when the reset went or came; CLOSE for a reset answering a packet no socket owns), resets, sockets
SELECT
  {{addr:dst}} AS peer,
  dport AS peer_port,
  if(kind = 6, 'sent', 'received') AS direction,
  transform(toUInt32(oldstate), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    ['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV'],
    'UNKNOWN') AS state,
  resets,
  sockets
FROM
(
  -- grouped on the 16-byte address and the state number; made text once per group
  SELECT dst, dport, kind, oldstate, count() AS resets, uniqExactIf(idiag_cookie, idiag_cookie != 0) AS sockets
  FROM {{db}}.tcp_events
  WHERE {{where:tcp_events}} AND kind IN (6, 7)
  GROUP BY dst, dport, kind, oldstate
)
ORDER BY resets DESC, peer, peer_port, direction, state
LIMIT {{limit}}
