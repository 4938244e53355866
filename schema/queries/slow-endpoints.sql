-- question: slow-endpoints
-- purpose: slow receivers and senders: time limited by the peer's receive window or our send buffer, busy time, zero windows, Recv-Q
-- param limit: uint = 20; rows at most
-- columns: peer, peer_port, sockets, rwnd_limited_ms (our sends waited for the peer's receive window: the
--   peer is a slow receiver), sndbuf_limited_ms (limited by our send buffer), busy_ms, zero_window_polls
--   (polls that saw the peer's window at 0), max_recv_q (bytes from the peer our side had not read: a slow
--   reader here), recv_q_growth (max - min Recv-Q of a socket), max_send_q
SELECT
  {{addr:dst}} AS peer,
  dport AS peer_port,
  sockets,
  rwnd_limited_ms,
  sndbuf_limited_ms,
  busy_ms,
  zero_window_polls,
  max_recv_q,
  recv_q_growth,
  max_send_q
FROM
(
  -- per peer on the 16-byte address; made text once per peer, not per socket
  SELECT
    dst,
    dport,
    count() AS sockets,
    round(sum(rwnd_us) / 1000, 1) AS rwnd_limited_ms,
    round(sum(sndbuf_us) / 1000, 1) AS sndbuf_limited_ms,
    round(sum(busy_us) / 1000, 1) AS busy_ms,
    sum(zero_wnd) AS zero_window_polls,
    max(max_rq) AS max_recv_q,
    max(rq_growth) AS recv_q_growth,
    max(max_wq) AS max_send_q
  FROM
  (
    -- per socket: its counters are cumulative, so the largest is the latest
    SELECT
      dst, dport, idiag_cookie,
      maxMerge(s_rwnd) AS rwnd_us,
      maxMerge(s_sndbuf) AS sndbuf_us,
      maxMerge(s_busy) AS busy_us,
      countIfMerge(s_zero_wnd) AS zero_wnd,
      maxMerge(s_max_rq) AS max_rq,
      maxMerge(s_max_rq) - minMerge(s_min_rq) AS rq_growth,
      maxMerge(s_max_wq) AS max_wq
    FROM
    (
      -- the whole minutes of the window the rollup holds (011), as aggregate states
      SELECT
        dst, dport, idiag_cookie,
        rwnd_limited_us AS s_rwnd,
        sndbuf_limited_us AS s_sndbuf,
        busy_us AS s_busy,
        zero_window_polls AS s_zero_wnd,
        max_recv_q AS s_max_rq,
        min_recv_q AS s_min_rq,
        max_send_q AS s_max_wq
      FROM {{db}}.tcp_sock_1m
      WHERE {{rollup:tcp_sock_1m}}
      UNION ALL
      -- the rest of the window from the raw snapshots, as the same states
      SELECT
        dst, dport, idiag_cookie,
        maxState(tcpi_rwnd_limited),
        maxState(tcpi_sndbuf_limited),
        maxState(tcpi_busy_time),
        countIfState(tcpi_snd_wnd = 0 AND tcpi_len >= 232),
        maxState(idiag_rqueue),
        minState(idiag_rqueue),
        maxState(idiag_wqueue)
      FROM {{db}}.tcp_snapshots
      WHERE {{where:tcp_snapshots}} AND {{outside:tcp_sock_1m}} AND idiag_state IN (1, 8)
      GROUP BY dst, dport, idiag_cookie
    )
    GROUP BY dst, dport, idiag_cookie
  )
  GROUP BY dst, dport
  HAVING rwnd_limited_ms + sndbuf_limited_ms > 0 OR zero_window_polls > 0 OR max_recv_q > 0
)
ORDER BY rwnd_limited_ms + sndbuf_limited_ms DESC, max_recv_q DESC, peer, peer_port
LIMIT {{limit}}
