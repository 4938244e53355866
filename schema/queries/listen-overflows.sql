-- question: listen-overflows
-- purpose: listeners whose accept queue filled: Recv-Q (connections waiting for accept) against the backlog, per poll of
--   listeners (every --listen-interval, 30 s by default)
-- param limit: uint = 20; rows at most
-- columns: netns_inode, address, port, polls, backlog (Send-Q of a listener), max_accept_queue (Recv-Q),
--   polls_full (accept queue over the backlog: new connections dropped), full_share
SELECT
  netns_inode,
  {{addr:src}} AS address,
  sport AS port,
  count() AS polls,
  max(idiag_wqueue) AS backlog,
  max(idiag_rqueue) AS max_accept_queue,
  countIf(idiag_rqueue > idiag_wqueue) AS polls_full,
  round(polls_full / polls, 3) AS full_share
FROM {{db}}.tcp_snapshots
WHERE {{where:tcp_snapshots}} AND view = 'poll' AND idiag_state = 10
GROUP BY netns_inode, address, port
HAVING polls_full > 0
ORDER BY polls_full DESC, max_accept_queue DESC, netns_inode, address, port
LIMIT {{limit}}
