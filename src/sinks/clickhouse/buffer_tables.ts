// --insert-buffer: a Buffer table <table>_buffer in front of each table the
// sidecar inserts into (on a cluster in front of the Distributed table, on
// every node; on one server in front of the MergeTree table). Many hosts'
// small INSERTs land in the server's memory and reach the target as a few
// large blocks: one part (and, replicated, one ZooKeeper round) per flush of
// a layer, not per host's INSERT. The price (docs/schema.md, "Buffer tables"):
// rows reach the target only when the buffer flushes, a server that dies
// loses what its buffers hold, and buffered blocks are not deduplicated.
// These tables are not migrations: they follow their targets' columns
// (schema.ts ensureBuffers drops and makes them again after every migration).

/** The Buffer engine's parameters, per node and table (ClickHouse's docs:
 * a layer flushes when all min_* are reached or any max_* is). Chosen from
 * bench/fleet on 18.16: 2 layers (a flush per layer is a part: parallel
 * inserts beyond 2 cores gain nothing), at least 10 s and 100k rows or 10 MB
 * between flushes, at most 30 s (how late rows reach the target) and 1M rows
 * or 100 MB (the memory it may hold per layer). */
export const BUFFER = {
  layers: 2,
  minTimeS: 10,
  maxTimeS: 30,
  minRows: 100_000,
  maxRows: 1_000_000,
  minBytes: 10_000_000,
  maxBytes: 100_000_000,
} as const;

/** the Buffer table in front of `table` */
export const bufferOf = (table: string): string => `${table}_buffer`;

const engine = (db: string, table: string): string =>
  `Buffer(${db}, ${table}, ${BUFFER.layers}, ${BUFFER.minTimeS}, ${BUFFER.maxTimeS}, ${BUFFER.minRows}, ${BUFFER.maxRows}, ${BUFFER.minBytes}, ${BUFFER.maxBytes})`;

/** CREATE of each table's Buffer table, with the target's columns (AS it). */
export const createBuffers = (db: string, onCluster: string, tables: readonly string[]): string[] =>
  tables.map((t) =>
    `CREATE TABLE IF NOT EXISTS ${db}.${bufferOf(t)} ${onCluster} AS ${db}.${t} ENGINE = ${engine(db, t)}`.replace(/ {2,}/g, ' '),
  );

/** DROP of these Buffer tables: each writes what it holds into its target first. */
export const dropBuffers = (db: string, onCluster: string, buffers: readonly string[]): string[] =>
  buffers.map((b) => `DROP TABLE IF EXISTS ${db}.${b} ${onCluster}`.trim());

/** Tables whose Buffer table is missing or whose columns (name, type, kind, in order;
 * `cols` by table) are not the target's. */
export const staleBuffers = (tables: readonly string[], cols: ReadonlyMap<string, readonly string[]>): string[] =>
  tables.filter((t) => (cols.get(bufferOf(t)) ?? []).join('\n') !== (cols.get(t) ?? []).join('\n') || !cols.has(bufferOf(t)));
