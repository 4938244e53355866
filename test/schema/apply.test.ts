// `tcplens schema apply` against a real 18.16 server: a server without the
// tables gets them, applying twice changes nothing, a changed migration is
// refused, the CLI keeps credentials out of argv, and 18.16's stand-in for
// TTL drops expired day partitions.
import { expect } from 'chai';
import { applySchema, loadMigrations, renderMigration, rollupNames, tableNames, viewNames } from '../../src/sinks/clickhouse/schema';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { FLOW_SPEC } from '../../src/sinks/tables';
import { rows, sharedServer, type TestServer, freshSchemaDb } from '../helpers/clickhouse';
import { runCli } from '../helpers/run_proc';
import { loadLibrary } from '../../src/query/library';
import { renderQuestion } from '../../src/query/render';
import { parsePeer } from '../../src/query/params';

const cli = runCli;

/** name -> create statement of every table in db */
async function tables(t: TestServer, db: string): Promise<Map<string, string>> {
  const r = await rows<{ name: string; create_table_query: string }>(
    t.client,
    `SELECT name, create_table_query FROM system.tables WHERE database = '${db}'`,
  );
  return new Map(r.map((x) => [x.name, x.create_table_query]));
}

describe('schema apply on a real ClickHouse', function () {
  this.timeout(60_000);
  const t = sharedServer();

  it('creates every table on an empty server; a second apply changes nothing', async () => {
    const db = t.freshDb('ap');
    const first = await applySchema(t.client, { database: db, ttlDays: 0 });
    expect(first.dialect.modern).to.equal(false);
    expect(first.applied).to.have.length(loadMigrations().length);
    const before = await tables(t, db);
    expect([...before.keys()]).to.have.members([...tableNames(), ...rollupNames(), ...viewNames(), 'schema_migrations']);
    const second = await applySchema(t.client, { database: db, ttlDays: 0 });
    expect(second.applied).to.deep.equal([]);
    expect(second.skipped).to.have.length(loadMigrations().length);
    expect(await tables(t, db)).to.deep.equal(before);
    const recorded = await rows<{ n: string }>(t.client, `SELECT count() AS n FROM ${db}.schema_migrations`);
    expect(Number(recorded[0]!.n)).to.equal(loadMigrations().length);
  });

  it('an ADD COLUMN migration (007: tcp_snapshots.trigger) applied but not recorded applies again cleanly (18.16 has no IF NOT EXISTS)', async () => {
    const db = await freshSchemaDb(t, 'alt');
    const cols = await rows<{ name: string }>(
      t.client,
      `SELECT name FROM system.columns WHERE database = '${db}' AND table = 'tcp_snapshots'`,
    );
    const names = cols.map((c) => c.name);
    expect(names.indexOf('trigger')).to.equal(names.indexOf('view') + 1);
    await t.client.command({ query: `ALTER TABLE ${db}.schema_migrations DELETE WHERE version = 7` });
    await new Promise((r) => setTimeout(r, 300)); // mutations apply asynchronously
    const again = await applySchema(t.client, { database: db });
    expect(again.applied).to.deep.equal(['007_snapshot_trigger']);
  });

  it('refuses a migration whose text changed after it was applied', async () => {
    const db = await freshSchemaDb(t, 'ck');
    await t.client.command({ query: `ALTER TABLE ${db}.schema_migrations UPDATE checksum = 'other' WHERE version = 1` });
    await new Promise((r) => setTimeout(r, 300)); // mutations apply asynchronously
    let err: Error | null = null;
    try {
      await applySchema(t.client, { database: db });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/migration 001_tcp_snapshots changed after it was applied/);
  });

  it('008 adds the forensics columns to a tcp_flows that holds rows, losing none; columns already there are no error', async () => {
    const db = t.freshDb('mig');
    const before = loadMigrations().filter((m) => m.version < 8);
    await t.client.command({ query: `CREATE DATABASE ${db}` });
    for (const m of before) for (const sql of renderMigration(m, { database: db, dialect: LEGACY })) await t.client.command({ query: sql });
    const now = Math.floor(Date.now() / 1000);
    await t.client.command({
      query: `INSERT INTO ${db}.tcp_flows (host, ts, src, dst, idiag_cookie, tcpi_bytes_acked) VALUES ('a', ${now}, '10.0.0.1', '10.0.0.2', 7, 100), ('a', ${now}, '10.0.0.1', '10.0.0.3', 8, 200)`,
    });
    const r = await applySchema(t.client, { database: db, ttlDays: 0 });
    expect(r.applied).to.include('008_flow_forensics');
    const got = await rows<{ c: string; b: string; reason: string; hs: number; minrtt: number }>(
      t.client,
      `SELECT toString(idiag_cookie) AS c, toString(tcpi_bytes_acked) AS b, close_reason AS reason, handshake AS hs, tcpi_min_rtt AS minrtt FROM ${db}.tcp_flows ORDER BY c`,
    );
    expect(got).to.deep.equal([
      { c: '7', b: '100', reason: '', hs: 2, minrtt: 0 },
      { c: '8', b: '200', reason: '', hs: 2, minrtt: 0 },
    ]);
    const cols = await rows<{ name: string }>(t.client, `SELECT name FROM system.columns WHERE database = '${db}' AND table = 'tcp_flows'`);
    expect(cols.map((c) => c.name)).to.include.members(FLOW_SPEC.map(([n]) => n));
    // a sidecar racing this one (its record not yet there): the ALTERs meet existing columns
    await t.client.command({ query: `DROP TABLE ${db}.schema_migrations` });
    const again = await applySchema(t.client, { database: db, ttlDays: 0 });
    expect(again.applied).to.include('008_flow_forensics');
    expect(await rows(t.client, `SELECT * FROM ${db}.tcp_flows`)).to.have.length(2);
  });

  it('010 adds peer_addr to a tcp_flows that holds rows: the old rows keep theirs, computed on read, and --peer finds them', async () => {
    const db = t.freshDb('peer');
    await t.client.command({ query: `CREATE DATABASE ${db}` });
    for (const m of loadMigrations().filter((x) => x.version < 10))
      for (const sql of renderMigration(m, { database: db, dialect: LEGACY })) await t.client.command({ query: sql });
    const now = Math.floor(Date.now() / 1000);
    await t.client.command({
      query: `INSERT INTO ${db}.tcp_flows (host, ts, idiag_family, src, dst, idiag_cookie) VALUES ('a', ${now}, 2, '10.0.0.1', '10.0.0.2', 7), ('a', ${now}, 10, 'fd00::1', 'fd00::9', 8)`,
    });
    const r = await applySchema(t.client, { database: db, ttlDays: 0 });
    expect(r.applied).to.include('010_flow_peer_addr');
    // a row inserted after the migration, as the sidecar inserts (peer_addr is never named)
    await t.client.command({
      query: `INSERT INTO ${db}.tcp_flows (host, ts, idiag_family, src, dst, idiag_cookie) VALUES ('a', ${now}, 2, '10.0.0.1', '10.0.0.3', 9)`,
    });
    const got = await rows<{ c: string; p: string }>(
      t.client,
      `SELECT toString(idiag_cookie) AS c, IPv6NumToString(peer_addr) AS p FROM ${db}.tcp_flows ORDER BY c`,
    );
    expect(got).to.deep.equal([
      { c: '7', p: '::ffff:10.0.0.2' },
      { c: '8', p: 'fd00::9' },
      { c: '9', p: '::ffff:10.0.0.3' },
    ]);
    const lib = loadLibrary();
    const sql = renderQuestion(lib.get('who-talked')!, {
      database: db,
      dialect: LEGACY,
      filters: { since: BigInt(now - 60), until: BigInt(now + 60), peer: parsePeer('10.0.0.0/30') },
    }).sql;
    const talked = await rows<{ peer: string }>(t.client, sql);
    expect(talked.map((x) => x.peer).sort()).to.deep.equal(['10.0.0.2', '10.0.0.3']);
  });

  it('18.16 has no TTL: apply drops day partitions older than --ttl-days, keeps the rest', async () => {
    const db = await freshSchemaDb(t, 'ttl', { ttlDays: 0 });
    const old = Math.floor(Date.now() / 1000) - 10 * 86400;
    const now = Math.floor(Date.now() / 1000);
    await t.client.command({ query: `INSERT INTO ${db}.poll_cycles (host, ts, sockets) VALUES ('a', ${old}, 1), ('a', ${now}, 2)` });
    const r = await applySchema(t.client, { database: db, ttlDays: 3 });
    expect(r.expiredPartitions).to.equal(1);
    const left = await rows<{ sockets: number }>(t.client, `SELECT sockets FROM ${db}.poll_cycles`);
    expect(left.map((x) => Number(x.sockets))).to.deep.equal([2]);
  });

  it("18.16, per table: the CLI's defaults keep snapshots and owners 7 days, events 30, flows 90; --ttl none --ttl-days 0 keeps all", async () => {
    const db = t.freshDb('ttlt');
    await applySchema(t.client, { database: db, ttlDays: 0 });
    const day = 86_400;
    const now = Math.floor(Date.now() / 1000);
    const ages = [0, 10, 40, 100];
    const values = (cols: string): string => ages.map((a) => `('a', ${now - a * day}, ${a}${cols})`).join(', ');
    // the age in days in a column of each row: tcp_snapshots.tcpi_rtt, socket_owners.pid, tcp_events.sport, tcp_flows.dport
    await t.client.command({ query: `INSERT INTO ${db}.tcp_snapshots (host, ts, tcpi_rtt) VALUES ${values('')}` });
    await t.client.command({ query: `INSERT INTO ${db}.socket_owners (host, ts, pid) VALUES ${values('')}` });
    await t.client.command({ query: `INSERT INTO ${db}.tcp_events (host, ts, sport) VALUES ${values('')}` });
    await t.client.command({ query: `INSERT INTO ${db}.tcp_flows (host, ts, dport) VALUES ${values('')}` });
    const left = async (): Promise<Record<string, number[]>> => {
      const out: Record<string, number[]> = {};
      for (const [table, col] of [
        ['tcp_snapshots', 'tcpi_rtt'],
        ['socket_owners', 'pid'],
        ['tcp_events', 'sport'],
        ['tcp_flows', 'dport'],
        ['tcp_peer_1m', 'dport'],
      ] as const)
        out[table] = (await rows<{ a: number }>(t.client, `SELECT ${col} AS a FROM ${db}.${table} ORDER BY a`)).map((x) => Number(x.a));
      return out;
    };
    const env = { TCPLENS_CLICKHOUSE_URL: t.url };
    const keepAll = await cli(['schema', 'apply', '--database', db, '--ttl', 'none', '--ttl-days', '0'], env);
    expect(keepAll.code, keepAll.stderr).to.equal(0);
    expect(keepAll.stdout).to.not.match(/dropped/);
    expect(await left()).to.deep.equal({
      tcp_snapshots: ages,
      socket_owners: ages,
      tcp_events: ages,
      tcp_flows: ages,
      tcp_peer_1m: ages, // the rollup of the flows (400 days)
    });
    const r = await cli(['schema', 'apply', '--database', db], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/; dropped 9 expired partitions\n$/); // snapshots, owners (7 days) 3 each; events (30) 2; flows (90) 1
    expect(await left()).to.deep.equal({
      tcp_snapshots: [0],
      socket_owners: [0],
      tcp_events: [0, 10],
      tcp_flows: [0, 10, 40],
      tcp_peer_1m: ages,
    });
    const again = await cli(['schema', 'apply', '--database', db, '--ttl', 'flows=20,rollups=50'], env);
    expect(again.stdout).to.match(/; dropped 2 expired partitions\n$/); // flows 40 days old, the rollup's 100
    expect(await left()).to.deep.equal({
      tcp_snapshots: [0], // 30 days now: what is gone stays gone
      socket_owners: [0],
      tcp_events: [0, 10],
      tcp_flows: [0, 10],
      tcp_peer_1m: [0, 10, 40],
    });
  });

  it('the CLI applies with the URL from the environment, and rejects credentials in the URL', async () => {
    const db = t.freshDb('cli');
    const ok = await cli(['schema', 'apply', '--database', db], { TCPLENS_CLICKHOUSE_URL: t.url });
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/ClickHouse 18\.16\.\d+; applied 001_tcp_snapshots/);
    expect((await tables(t, db)).size).to.equal(tableNames().length + rollupNames().length + viewNames().length + 1);
    const bad = await cli(['schema', 'apply', '--clickhouse-url', `http://default:sekret@127.0.0.1:1/`]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/must not carry credentials/);
    expect(bad.stderr).to.not.include('sekret');
    const down = await cli(['schema', 'apply', '--database', db], {
      TCPLENS_CLICKHOUSE_URL: 'http://127.0.0.1:1',
      TCPLENS_CLICKHOUSE_PASSWORD: 'sekret',
    });
    expect(down.code).to.not.equal(0);
    expect(down.stderr).to.match(/^tcplens: schema apply on http:\/\/127.0.0.1:1 \(user default, database /);
    expect(down.stderr.trim().split('\n')).to.have.length(1);
    expect(down.stderr).to.not.include('sekret');
  });

  it('schema print renders without a server: modern fleet DDL for a given version; bad flags in one line', async () => {
    const r = await cli(['schema', 'print', '--cluster', 'fleet', '--server-version', '24.8', '--database', 'obs', '--ttl-days', '14']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^-- tcplens schema for ClickHouse 24\.8, cluster fleet\n/);
    expect(r.stdout).to.include('CREATE DATABASE IF NOT EXISTS obs ON CLUSTER fleet;');
    expect(r.stdout).to.include("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/obs/tcp_flows_local', '{replica}')");
    expect(r.stdout).to.include('TTL toDateTime(ts) + toIntervalDay(14)');
    // one Distributed table per table and rollup (tcp_snapshots's is made again by migration 007)
    expect(new Set(r.stdout.match(/ENGINE = Distributed\(fleet, obs, \w+_local, rand\(\)\);/g)).size).to.equal(
      tableNames().length + rollupNames().length,
    );
    const bad = await cli(['schema', 'print', '--ttl-days', '-3']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.trim()).to.equal('tcplens: --ttl-days: a whole number of days from 0 to 36500 expected, got -3');
    const badTtl = await cli(['schema', 'print', '--ttl', 'snapshots=7,packets=3']);
    expect(badTtl.code).to.equal(2);
    expect(badTtl.stderr.trim()).to.match(/^tcplens: --ttl: unknown table 'packets' \(snapshots, events, /);
    const badDb = await cli(['schema', 'print', '--database', 'a-b']);
    expect(badDb.code).to.equal(2);
    expect(badDb.stderr.trim()).to.equal("tcplens: bad database name 'a-b': letters, digits and _ only");
  });
});
