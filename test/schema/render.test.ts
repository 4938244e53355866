// The schema renderer without a server: every dialect and variant renders,
// no placeholder is left, the modern rendering is well-formed DDL, and the
// tables carry every column the views produce.
import { expect } from 'chai';
import { loadMigrations, renderAll, rollupNames, tableNames } from '../../src/sinks/clickhouse/schema';
import { staleBuffers } from '../../src/sinks/clickhouse/buffer_tables';
import { LEGACY, MODERN } from '../../src/sinks/clickhouse/dialect';
import { POLL_COLUMNS } from '../../src/layout/poll_columns';
import { columnsFromHeader } from '../helpers/columns_h';
import { FLOW_SPEC } from '../../src/sinks/tables';

const COLUMN_LINE =
  /^ {2}(\w+) (UInt8|UInt16|UInt32|UInt64|String|FixedString\(16\)|DateTime|DateTime64\(9\)|LowCardinality\(String\))( CODEC\((DoubleDelta|T64), ZSTD\(1\)\))?,?$/;

/** column names of table `t` in the rendered statements */
function columnsOf(stmts: string[], t: string): string[] {
  const s = stmts.find((x) => x.startsWith(`CREATE TABLE IF NOT EXISTS tcplens.${t} `))!;
  const added = stmts
    // a MATERIALIZED or ALIAS column (010's peer_addr) is the server's, never written by a view
    .filter((x) => !/ (MATERIALIZED|ALIAS) /.test(x))
    .map((x) => new RegExp(`^ALTER TABLE tcplens\\.${t} +ADD COLUMN (?:IF NOT EXISTS )?(\\w+) `).exec(x)?.[1])
    .filter((x): x is string => x !== undefined);
  return [
    ...s
      .split('\n')
      .slice(1)
      .filter((l) => COLUMN_LINE.test(l))
      .map((l) => l.trim().split(' ')[0]!),
    ...added,
  ];
}

describe('schema renderer', () => {
  it('renders migrations in order, numbered uniquely', () => {
    const ms = loadMigrations();
    expect(ms.length).to.be.greaterThan(4);
    expect(ms.map((m) => m.version)).to.deep.equal([...ms.map((m) => m.version)].sort((a, b) => a - b));
    expect(new Set(ms.map((m) => m.version)).size).to.equal(ms.length);
    expect(tableNames()).to.include.members([
      'tcp_snapshots',
      'tcp_events',
      'tcp_flows',
      'task_samples',
      'socket_owners',
      'poll_cycles',
      'coverage',
    ]);
  });

  for (const [label, dialect] of [
    ['18.16', LEGACY],
    ['modern', MODERN],
  ] as const) {
    it(`${label}: well-formed DDL, no placeholder left, host and partition/order keys everywhere`, () => {
      const stmts = renderAll({ database: 'tcplens', dialect, ttlDays: 7 });
      for (const s of stmts) {
        expect(s).to.not.match(/\{\{|\}\}/);
        let depth = 0;
        for (const ch of s) {
          depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
          expect(depth).to.be.at.least(0);
        }
        expect(depth, s).to.equal(0);
        if (!s.startsWith('CREATE TABLE') || rollupNames().some((r) => s.startsWith(`CREATE TABLE IF NOT EXISTS tcplens.${r} `))) continue;
        const lines = s.split('\n');
        const body = lines.slice(
          1,
          lines.findIndex((l) => l.startsWith(') ENGINE')),
        );
        for (const l of body) expect(l, l).to.match(COLUMN_LINE);
        expect(s).to.match(/\) ENGINE = MergeTree\(\)\nPARTITION BY toDate\(ts\)\nORDER BY \(host, ts, \w+(, \w+)?\)/);
        expect(body[0]).to.match(/^ {2}host /);
        if (dialect.modern) {
          expect(s).to.include('TTL toDateTime(ts) + toIntervalDay(7)');
          expect(s).to.include('LowCardinality(String)');
          expect(s).to.include('DateTime64(9)');
        } else {
          expect(s).to.not.match(/CODEC|LowCardinality|DateTime64|TTL/);
        }
      }
    });
  }

  it('cluster variant: Replicated locals, a Distributed table over each, ON CLUSTER', () => {
    const stmts = renderAll({ database: 'db1', dialect: MODERN, cluster: 'fleet' });
    expect(stmts[0]).to.equal('CREATE DATABASE IF NOT EXISTS db1 ON CLUSTER fleet');
    for (const t of tableNames()) {
      const local = stmts.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS db1.${t}_local ON CLUSTER fleet (`));
      expect(local, t).to.include(`ReplicatedMergeTree('/clickhouse/tables/{shard}/db1/${t}_local', '{replica}')`);
      expect(stmts).to.include(
        `CREATE TABLE IF NOT EXISTS db1.${t} ON CLUSTER fleet AS db1.${t}_local ENGINE = Distributed(fleet, db1, ${t}_local, rand())`,
      );
    }
  });

  it('cluster variant: an ALTER changes every local table; the Distributed one is made again over it', () => {
    const stmts = renderAll({ database: 'db1', dialect: MODERN, cluster: 'fleet' });
    const at = stmts.findIndex((s) => s.startsWith('ALTER TABLE'));
    expect(stmts.slice(at, at + 3)).to.deep.equal([
      'ALTER TABLE db1.tcp_snapshots_local ON CLUSTER fleet ADD COLUMN IF NOT EXISTS trigger LowCardinality(String) AFTER view',
      'DROP TABLE IF EXISTS db1.tcp_snapshots ON CLUSTER fleet',
      'CREATE TABLE IF NOT EXISTS db1.tcp_snapshots ON CLUSTER fleet AS db1.tcp_snapshots_local ENGINE = Distributed(fleet, db1, tcp_snapshots_local, rand())',
    ]);
  });

  it('--insert-buffer: a Buffer table in front of each written table, after every migration; none by default', () => {
    const plain = renderAll({ database: 'db1', dialect: LEGACY, cluster: 'fleet' });
    expect(plain.filter((s) => /ENGINE = Buffer/.test(s))).to.deep.equal([]);
    const stmts = renderAll({ database: 'db1', dialect: LEGACY, cluster: 'fleet', insertBuffer: true });
    expect(stmts.slice(0, plain.length)).to.deep.equal(plain);
    expect(stmts.slice(plain.length)).to.deep.equal(
      tableNames().map(
        (t) =>
          `CREATE TABLE IF NOT EXISTS db1.${t}_buffer ON CLUSTER fleet AS db1.${t} ENGINE = Buffer(db1, ${t}, 2, 10, 30, 100000, 1000000, 10000000, 100000000)`,
      ),
    );
    expect(renderAll({ database: 'db1', dialect: LEGACY, insertBuffer: true }).at(-1)).to.equal(
      'CREATE TABLE IF NOT EXISTS db1.coverage_buffer AS db1.coverage ENGINE = Buffer(db1, coverage, 2, 10, 30, 100000, 1000000, 10000000, 100000000)',
    );
  });

  it("staleBuffers: missing, or columns not the target's (a migration added one, or a type changed)", () => {
    const cols = new Map([
      ['a', ['x UInt8 ', 'y String ']],
      ['a_buffer', ['x UInt8 ', 'y String ']],
      ['b', ['x UInt8 ', 'z UInt8 DEFAULT']],
      ['b_buffer', ['x UInt8 ']],
      ['c', ['x UInt8 ']],
      ['c_buffer', ['x UInt16 ']],
      ['d', ['x UInt8 ']],
    ]);
    expect(staleBuffers(['a', 'b', 'c', 'd'], cols)).to.deep.equal(['b', 'c', 'd']);
  });

  it('rejects identifiers that could inject SQL', () => {
    expect(() => renderAll({ database: 'x; DROP TABLE y', dialect: LEGACY })).to.throw(/bad database name/);
    expect(() => renderAll({ database: 'ok', dialect: LEGACY, cluster: "a'b" })).to.throw(/bad cluster name/);
  });

  it('tables hold every column the views produce (column contracts)', () => {
    const stmts = renderAll({ database: 'tcplens', dialect: LEGACY });
    const extra = ['host', 'ts', 'tl_batch'];
    expect(columnsOf(stmts, 'tcp_snapshots')).to.have.members([...extra, 'view', ...POLL_COLUMNS.map((c) => c.name), 'trigger']);
    // and the targeted view's trigger, added by its own migration (007)
    expect(stmts).to.include('ALTER TABLE tcplens.tcp_snapshots ADD COLUMN trigger String AFTER view');
    expect(columnsOf(stmts, 'tcp_events')).to.have.members([
      ...extra,
      ...columnsFromHeader('event_columns.h', 'TL_EVENT_COLUMNS').map((c) => c.name),
    ]);
    expect(columnsOf(stmts, 'task_samples')).to.have.members([
      ...extra,
      ...columnsFromHeader('sample_columns.h', 'TL_SAMPLE_COLUMNS').map((c) => c.name),
    ]);
    expect(columnsOf(stmts, 'socket_owners')).to.have.members([
      ...extra,
      ...columnsFromHeader('sample_columns.h', 'TL_OWNER_COLUMNS').map((c) => c.name),
    ]);
    expect(columnsOf(stmts, 'tcp_flows')).to.have.members([...extra, ...FLOW_SPEC.map(([n]) => n)]);
  });
});
