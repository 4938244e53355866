-- poll_cycles.mode: how the poll read the namespace that cycle ('dump': an
-- inet_diag dump; 'lookup': exact-match requests for its known sockets;
-- 'iter': the eBPF iterator poll, --poll-via iter), and dump_reason: why a
-- namespace the exact poll knows was dumped ('first', 'due', 'events',
-- 'unkeyed', 'size', 'failed'; '' otherwise). Rows of older sidecars: ''.
-- 18.16 has no ADD COLUMN IF NOT EXISTS: {{if_not_exists}} renders empty
-- there, and `schema apply` takes "column already exists" as done.
ALTER TABLE {{db}}.poll_cycles {{on_cluster}} ADD COLUMN {{if_not_exists}} mode {{lc}} AFTER error_code;
ALTER TABLE {{db}}.poll_cycles {{on_cluster}} ADD COLUMN {{if_not_exists}} dump_reason {{lc}} AFTER mode;
