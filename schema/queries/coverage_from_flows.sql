-- Coverage a poll every P would have had, for each P in a list, from the
-- finished flows in tcp_flows (columns named as src/correlate/flow_row.ts's
-- FlowRow fields): a flow of lifetime L is seen by a poll every P with a
-- random phase with probability min(1, L / P); the mean over flows is the
-- expected share seen, and sqrt(sum p(1-p)) / n its standard deviation.
-- Beside it: the share the stored poll view really saw (views bit 1), at
-- whatever interval the sidecar polled.
--
-- Parameters are substituted as text by `tcplens compare --from-clickhouse`
-- (ClickHouse 18.16 has no query parameters); to run it by hand replace:
--   {db}            database, e.g. tcplens
--   {intervals_ms}  array of intervals in ms, e.g. [10, 100, 1000, 10000]
--   {since_ns}      window start, wall ns (flows that closed at or after it)
--   {until_ns}      window end, wall ns
-- Only flows whose open and close are both known (duration_ns > 0) count.
SELECT
    interval_ms,
    count() AS flows,
    avg(least(1., duration_ns / (interval_ms * 1000000.))) AS predicted_coverage,
    sqrt(sum(least(1., duration_ns / (interval_ms * 1000000.)) * (1. - least(1., duration_ns / (interval_ms * 1000000.))))) / count() AS predicted_sigma,
    countIf(bitAnd(views, 1) != 0) / count() AS stored_poll_coverage,
    sum(tcpi_bytes_acked + tcpi_bytes_received) AS bytes,
    sum(bytes_unpolled) AS bytes_unpolled
FROM {db}.tcp_flows
ARRAY JOIN {intervals_ms} AS interval_ms
WHERE close_ns >= {since_ns} AND close_ns < {until_ns} AND duration_ns > 0
GROUP BY interval_ms
ORDER BY interval_ms
FORMAT JSON
