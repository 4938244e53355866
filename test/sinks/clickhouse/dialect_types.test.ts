// The encoders name, for every column, the type the rendered DDL gives it, in
// both dialects (LowCardinality(String) is sent as String; the insert setting
// low_cardinality_allow_in_native_format=0 makes modern servers convert it).
import { expect } from 'chai';
import { ColumnBatch, PollBatch } from '../../../src/layout/batch';
import { LEGACY, MODERN, type Dialect } from '../../../src/sinks/clickhouse/dialect';
import { renderAll } from '../../../src/sinks/clickhouse/schema';
import { encodeColumnBatch, encodeCoverage, encodeFlows, encodePollCycles, encodeSnapshots } from '../../../src/sinks/clickhouse/encoders';
import type { EncodedChunk } from '../../../src/sinks/clickhouse/native_format';
import type { FlowRow } from '../../../src/correlate/flow_row';
import { columnsFromHeader } from '../../helpers/columns_h';

/** column -> type of table t in the rendered DDL, codecs stripped */
function ddlTypes(d: Dialect, t: string): Map<string, string> {
  const all = renderAll({ database: 'x', dialect: d });
  const s = all.find((x) => x.startsWith(`CREATE TABLE IF NOT EXISTS x.${t} `))!;
  // and the columns later migrations add (not MATERIALIZED or ALIAS ones: the server computes them, nothing inserts them)
  const added = all
    .filter((x) => !/ (MATERIALIZED|ALIAS) /.test(x))
    .map((x) => new RegExp(`^ALTER TABLE x\\.${t} ADD COLUMN (?:IF NOT EXISTS )?(\\w+) ([\\w()]+)`).exec(x))
    .filter((m): m is RegExpExecArray => !!m);
  return new Map(
    [
      ...s
        .split('\n')
        .slice(1)
        .map((l) => /^ {2}(\w+) ([\w()]+(?:\(\d+\))?)/.exec(l))
        .filter((m): m is RegExpExecArray => !!m),
      ...added,
    ].map((m) => [m[1]!, m[2]!]),
  );
}

function check(d: Dialect, chunk: EncodedChunk): void {
  const ddl = ddlTypes(d, chunk.table);
  for (const c of chunk.columns) {
    const want = ddl.get(c.name);
    expect(want, `${chunk.table}.${c.name} in the DDL`).to.be.a('string');
    expect(c.type, `${chunk.table}.${c.name}`).to.equal(want === 'LowCardinality(String)' ? 'String' : want);
  }
  expect(ddl.size).to.equal(chunk.columns.length + 1); // + tl_batch, added at seal
}

describe('encoder types equal the DDL types', () => {
  for (const [label, d] of [
    ['18.16', LEGACY],
    ['modern', MODERN],
  ] as const) {
    it(`${label}: every table`, () => {
      const one = <T extends ColumnBatch>(b: T): T => {
        b.rows = 1;
        return b;
      };
      check(d, encodeSnapshots(one(new PollBatch(1)), { names: [], view: 'destroy' }, 'h', d));
      check(
        d,
        encodeColumnBatch('tcp_events', one(new ColumnBatch(1, columnsFromHeader('event_columns.h', 'TL_EVENT_COLUMNS'))), {
          host: 'h',
          dialect: d,
          dicts: { comm: [] },
        }),
      );
      check(
        d,
        encodeColumnBatch('task_samples', one(new ColumnBatch(1, columnsFromHeader('sample_columns.h', 'TL_SAMPLE_COLUMNS'))), {
          host: 'h',
          dialect: d,
          dicts: { comm: [] },
        }),
      );
      check(
        d,
        encodeColumnBatch('socket_owners', one(new ColumnBatch(1, columnsFromHeader('sample_columns.h', 'TL_OWNER_COLUMNS'))), {
          host: 'h',
          dialect: d,
          dicts: { comm: [] },
          tsNs: 1n,
        }),
      );
      check(d, encodeFlows([{ close_ns: 1n, last_seen_ns: 1n } as FlowRow], 'h', d));
      check(d, encodePollCycles([{ ts_ns: 1n } as never], 'h', d));
      check(d, encodeCoverage([{ ts_ns: 1n } as never], 'h', d));
    });
  }
});
