-- Rollups for long windows at fleet size: per minute, per host and peer, from
-- the finished flows (tcp_flows): flows, bytes each way, retransmits, resets
-- and RTT quantiles, as aggregate states (read with the -Merge combinators:
-- countMerge(flows), sumMerge(bytes_acked), quantilesMerge(0.5, 0.9, 0.99)(rtt_us)).
-- A dashboard or question over days reads this instead of the raw rows.
-- Its TTL is its own ({{ttl_rollup}}: 400 days by default, against the raw tables' --ttl-days; on
-- 18.16, which has no TTL, schema apply drops its day partitions past that).
-- With --cluster the view reads and writes each node's _local tables (a
-- Distributed tcp_peer_1m reads all shards), so rows are rolled up where they land.
CREATE TABLE IF NOT EXISTS {{db}}.tcp_peer_1m {{on_cluster}} (
  host {{lc}},
  minute DateTime,
  peer String,
  dport UInt16,
  flows AggregateFunction(count),
  bytes_acked AggregateFunction(sum, UInt64),
  bytes_received AggregateFunction(sum, UInt64),
  retransmits AggregateFunction(sum, UInt64),
  resets AggregateFunction(sum, UInt64),
  rtt_us AggregateFunction(quantiles(0.5, 0.9, 0.99), UInt32)
) ENGINE = {{engine_agg}}
PARTITION BY toDate(minute)
ORDER BY (host, minute, peer, dport)
{{ttl_rollup}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.tcp_peer_1m_mv {{on_cluster}} TO {{db}}.tcp_peer_1m{{local}} AS
SELECT
  host,
  toStartOfMinute(toDateTime(ts)) AS minute,
  dst AS peer,
  dport,
  countState() AS flows,
  sumState(toUInt64(tcpi_bytes_acked)) AS bytes_acked,
  sumState(toUInt64(tcpi_bytes_received)) AS bytes_received,
  sumState(toUInt64(tcpi_total_retrans)) AS retransmits,
  sumState(toUInt64(reset_events)) AS resets,
  quantilesState(0.5, 0.9, 0.99)(toUInt32(tcpi_rtt)) AS rtt_us
FROM {{db}}.tcp_flows{{local}}
GROUP BY host, minute, peer, dport;
