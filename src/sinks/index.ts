// --sink clickhouse | stdout | file:PATH -> a Sink. `tcplens run` calls
// createSink() once, start()s it, writes through it, and close()s it on
// SIGTERM/SIGINT (close flushes, or spools what ClickHouse cannot take).
import type { Sink } from './sink';
import { ClickHouseSink, type ClickHouseSinkOptions } from './clickhouse/sink';
import { StdoutSink } from './stdout';
import { FileSink } from './file';
import { usage } from '../util/errors';
import type { Dialect } from './clickhouse/dialect';

export type { Sink } from './sink';
export type { SinkStats, TableCounters } from './stats';

export function createSink(spec: string, opts: Partial<ClickHouseSinkOptions> & { host?: string; fileDialect?: Dialect }): Sink {
  if (spec === 'stdout') return new StdoutSink(opts.host);
  if (spec.startsWith('file:')) {
    const p = spec.slice(5);
    if (!p) throw usage('--sink file:PATH needs a path');
    return new FileSink(p, opts.host, opts.fileDialect);
  }
  if (spec === 'clickhouse') {
    if (!opts.clickhouse) throw usage('--sink clickhouse: no ClickHouse configured (--clickhouse-url or TCPLENS_CLICKHOUSE_URL)');
    return new ClickHouseSink(opts as ClickHouseSinkOptions);
  }
  throw usage(`--sink: clickhouse, stdout or file:PATH expected, got '${spec}'`);
}
