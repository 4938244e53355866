-- tcp_snapshots.trigger: why a targeted snapshot was taken ('open',
-- 'retransmit', 'reset'; --snapshot-on), '' for the poll and destroy views.
-- 18.16 has no ADD COLUMN IF NOT EXISTS: {{if_not_exists}} renders empty
-- there, and `schema apply` takes "column already exists" as done.
ALTER TABLE {{db}}.tcp_snapshots {{on_cluster}} ADD COLUMN {{if_not_exists}} trigger {{lc}} AFTER view;
