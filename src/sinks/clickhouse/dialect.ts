// What the connected ClickHouse server supports. Debian's 18.16 lacks column
// CODECs, stable LowCardinality, DateTime64 and table TTL; 20.3+ has all of
// them. The schema renderer and the encoders both follow the dialect, so the
// types named in a Native block always equal the table's.
export interface Dialect {
  readonly version: string;
  /** CODECs, LowCardinality, DateTime64, TTL (20.3+) */
  readonly modern: boolean;
}

export function dialectFor(version: string): Dialect {
  const [maj = 0, min = 0] = version.split('.').map((x) => Number(x));
  return { version, modern: maj > 20 || (maj === 20 && min >= 3) };
}

export const LEGACY: Dialect = dialectFor('18.16.1');
export const MODERN: Dialect = dialectFor('24.8.1');

/** The type of `ts` and of dictionary strings (host, cong, comm) in this dialect. */
export const tsType = (d: Dialect): string => (d.modern ? 'DateTime64(9)' : 'DateTime');
export const lcType = (d: Dialect): string => (d.modern ? 'LowCardinality(String)' : 'String');

/** Settings for Native inserts: on modern servers plain String columns in the
 * block are converted to the tables' LowCardinality(String). */
export const insertSettings = (d: Dialect): Record<string, string | number> =>
  d.modern ? { low_cardinality_allow_in_native_format: 0 } : {};
