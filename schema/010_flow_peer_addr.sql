-- tcp_flows keeps its addresses as text (as FlowRow does); a question that
-- filters on --peer or --local (an address range) parsed that text on every row
-- of the window. peer_addr is dst and local_addr src as 16 bytes (IPv4 mapped, as tcp_snapshots' dst),
-- computed by the server: stored for rows inserted from now on (and for older
-- parts when they merge), computed on read for older rows, so no row is lost or
-- rewritten and the sidecar's inserts do not change (a MATERIALIZED column is
-- never inserted). `tcplens query --peer`/`--local` compare them (with PREWHERE where a question is selective).
-- On a cluster they are ALIAS (computed on every read): 18.16's Distributed
-- table forwards a MATERIALIZED column in its inserts, which the shards refuse.
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} peer_addr FixedString(16) {{computed}} if(idiag_family = 10, IPv6StringToNum(dst), IPv4ToIPv6(IPv4StringToNum(dst)));
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} local_addr FixedString(16) {{computed}} if(idiag_family = 10, IPv6StringToNum(src), IPv4ToIPv6(IPv4StringToNum(src)));
