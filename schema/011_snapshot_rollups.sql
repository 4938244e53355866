-- Rollups of tcp_snapshots for the two saved questions that otherwise read
-- every snapshot of their window (schema/queries/rtt-by-peer.sql,
-- slow-endpoints.sql): each reads these for the whole minutes of its window that
-- the views have seen (from the minute after a view was created, plus a minute for
-- hosts' clocks) and the raw rows for the rest, and merges the two into the same
-- answer (src/query/rollup.ts; test/query/rollup.test.ts checks they are equal).
-- Aggregate states: read them with the -Merge combinators (uniqExactMerge(sockets),
-- quantilesMerge(0.5, 0.9, 0.99)(rtt_us), maxMerge(rwnd_limited_us), ...).
-- With --cluster each node's view reads its tcp_snapshots_local and writes its
-- _local rollup (a Distributed rollup reads all shards), as 009's does.
--
-- tcp_rtt_1m: per minute, host, peer address and port, our address and
-- namespace: the RTT of the polls of established sockets (rtt-by-peer).
CREATE TABLE IF NOT EXISTS {{db}}.tcp_rtt_1m {{on_cluster}} (
  host {{lc}},
  minute DateTime,
  dst FixedString(16),
  dport UInt16,
  src FixedString(16),
  netns_inode UInt64,
  sockets AggregateFunction(uniqExact, UInt64),
  polls AggregateFunction(count),
  rtt_us AggregateFunction(quantiles(0.5, 0.9, 0.99), UInt32),
  min_rtt_us AggregateFunction(min, UInt32),
  min_rtt_p50_us AggregateFunction(quantile(0.5), UInt32)
) ENGINE = {{engine_agg}}
PARTITION BY toDate(minute)
ORDER BY (host, minute, dst, dport, src, netns_inode)
{{ttl_rollup}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.tcp_rtt_1m_mv {{on_cluster}} TO {{db}}.tcp_rtt_1m{{local}} AS
SELECT
  host,
  toStartOfMinute(toDateTime(ts)) AS minute,
  dst,
  dport,
  src,
  netns_inode,
  uniqExactState(idiag_cookie) AS sockets,
  countState() AS polls,
  quantilesState(0.5, 0.9, 0.99)(tcpi_rtt) AS rtt_us,
  minState(tcpi_min_rtt) AS min_rtt_us,
  quantileState(0.5)(tcpi_min_rtt) AS min_rtt_p50_us
FROM {{db}}.tcp_snapshots{{local}}
WHERE view = 'poll' AND idiag_state = 1 AND tcpi_rtt > 0
GROUP BY host, minute, dst, dport, src, netns_inode;

-- tcp_sock_1m: per minute and socket (cookie, both ends, namespace, cgroup):
-- the limited/busy times (cumulative: their max), zero-window polls and the
-- queues of established and closing sockets (slow-endpoints). A socket polled
-- every 10 s is one row a minute instead of six, of 7 states instead of its 120 columns.
CREATE TABLE IF NOT EXISTS {{db}}.tcp_sock_1m {{on_cluster}} (
  host {{lc}},
  minute DateTime,
  dst FixedString(16),
  dport UInt16,
  idiag_cookie UInt64,
  src FixedString(16),
  sport UInt16,
  netns_inode UInt64,
  cgroup_id UInt64,
  rwnd_limited_us AggregateFunction(max, UInt64),
  sndbuf_limited_us AggregateFunction(max, UInt64),
  busy_us AggregateFunction(max, UInt64),
  zero_window_polls AggregateFunction(countIf, UInt8),
  max_recv_q AggregateFunction(max, UInt32),
  min_recv_q AggregateFunction(min, UInt32),
  max_send_q AggregateFunction(max, UInt32)
) ENGINE = {{engine_agg}}
PARTITION BY toDate(minute)
ORDER BY (host, minute, dst, dport, idiag_cookie, src, sport, netns_inode, cgroup_id)
{{ttl_rollup}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.tcp_sock_1m_mv {{on_cluster}} TO {{db}}.tcp_sock_1m{{local}} AS
SELECT
  host,
  toStartOfMinute(toDateTime(ts)) AS minute,
  dst,
  dport,
  idiag_cookie,
  src,
  sport,
  netns_inode,
  cgroup_id,
  maxState(tcpi_rwnd_limited) AS rwnd_limited_us,
  maxState(tcpi_sndbuf_limited) AS sndbuf_limited_us,
  maxState(tcpi_busy_time) AS busy_us,
  countIfState(tcpi_snd_wnd = 0 AND tcpi_len >= 232) AS zero_window_polls,
  maxState(idiag_rqueue) AS max_recv_q,
  minState(idiag_rqueue) AS min_recv_q,
  maxState(idiag_wqueue) AS max_send_q
FROM {{db}}.tcp_snapshots{{local}}
WHERE idiag_state IN (1, 8)
GROUP BY host, minute, dst, dport, idiag_cookie, src, sport, netns_inode, cgroup_id;
