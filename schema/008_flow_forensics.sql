-- What the saved questions (schema/queries/) need of a flow beyond 004's
-- columns: how it ended, whether its handshake completed, the state it closed
-- from, and tcp_info's min RTT, limited/busy times, loss, reordering and byte
-- counters (src/correlate/flow_row.ts). Columns are added to the existing
-- table: its rows stay, with the defaults (close_reason '', handshake 2 =
-- unknown). One column per statement: 18.16 has no ADD COLUMN IF NOT EXISTS,
-- so apply treats "already exists" as done.
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} close_reason {{lc}} DEFAULT '';
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} handshake UInt8 DEFAULT 2;
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} state_at_close UInt8 DEFAULT 0;
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} tcpi_min_rtt UInt32 DEFAULT 0{{c_u}};
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} tcpi_busy_time UInt64 DEFAULT 0{{c_u}};
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} tcpi_rwnd_limited UInt64 DEFAULT 0{{c_u}};
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} tcpi_sndbuf_limited UInt64 DEFAULT 0{{c_u}};
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} tcpi_lost UInt32 DEFAULT 0{{c_u}};
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} tcpi_reord_seen UInt32 DEFAULT 0{{c_u}};
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} tcpi_bytes_sent UInt64 DEFAULT 0{{c_u}};
ALTER TABLE {{db}}.tcp_flows {{on_cluster}} ADD COLUMN {{if_not_exists}} tcpi_bytes_retrans UInt64 DEFAULT 0{{c_u}};
