// @clickhouse/client, loaded at its first use: a command or a run that talks
// to no ClickHouse (`preflight`, `run --sink stdout`) never loads its modules
// (why start-up time matters: src/cli/main.ts).
type ClickHouseLib = typeof import('@clickhouse/client');

export const clickhouseLib = (): ClickHouseLib => require('@clickhouse/client') as ClickHouseLib;
