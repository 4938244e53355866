// tcplens compare --from-clickhouse against a real (private) ClickHouse
// server: the predicted coverage from stored tcp_flows rows (columns named as
// FlowRow's fields), only flows closed inside the window, computed by
// schema/queries/coverage_from_flows.sql; a missing table is one clear line.
import { expect } from 'chai';
import { createClient, ClickHouseLogLevel } from '@clickhouse/client';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { haveCommand, skipIf } from '../helpers/skip';

const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');
const has = haveCommand;

async function query(url: string, sql: string): Promise<string> {
  const r = await fetch(url, { method: 'POST', body: sql });
  const text = await r.text();
  if (!r.ok) throw new Error(`${sql.slice(0, 60)}: ${text}`);
  return text;
}

describe('tcplens compare --from-clickhouse', function () {
  this.timeout(90_000);
  let server: ChildProcess | null = null;
  let dir = '';
  let url = '';

  before(async function () {
    skipIf(this, !has('clickhouse-server'), 'clickhouse-server not installed (scripts/bootstrap.sh installs it)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-cmp-ch-'));
    const base = 21000 + (process.pid % 2000) * 3;
    url = `http://127.0.0.1:${base}`;
    server = spawn(
      'clickhouse-server',
      [
        '--config-file=/etc/clickhouse-server/config.xml',
        '--',
        `--http_port=${base}`,
        `--tcp_port=${base + 1}`,
        `--interserver_http_port=${base + 2}`,
        '--listen_host=127.0.0.1',
        `--path=${dir}/`,
        `--tmp_path=${dir}/tmp/`,
        `--logger.log=${dir}/log`,
        `--logger.errorlog=${dir}/err`,
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/ping`)).ok) break;
      } catch {
        /* not yet */
      }
      if (i > 300 || server.exitCode !== null) throw new Error(`clickhouse-server did not start (see ${dir}/err)`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await query(url, 'CREATE DATABASE IF NOT EXISTS tcplens');
    await query(
      url,
      `CREATE TABLE tcplens.tcp_flows (netns_inode UInt64, idiag_cookie UInt64, views UInt8, open_ns UInt64, close_ns UInt64,
      duration_ns UInt64, tcpi_bytes_acked UInt64, tcpi_bytes_received UInt64, bytes_unpolled UInt64) ENGINE = MergeTree ORDER BY close_ns`,
    );
    const now = BigInt(Date.now()) * 1_000_000n;
    const rows: string[] = [];
    const add = (cookie: number, durMs: number, agoMs: number, views: number): void => {
      const close = now - BigInt(agoMs) * 1_000_000n;
      const dur = BigInt(Math.round(durMs * 1e6));
      rows.push(`(1, ${cookie}, ${views}, ${dur ? close - dur : 0n}, ${close}, ${dur}, 1000, 2000, 500)`);
    };
    for (let i = 0; i < 100; i++) add(i, 5, 60_000, 2); // 5 ms flows, seen by destroy only
    for (let i = 100; i < 110; i++) add(i, 2000, 60_000, 3); // 2 s flows, polled too
    add(200, 5, 2 * 3600_000, 2); // closed before the window
    add(201, 0, 60_000, 1); // open time unknown: no lifetime
    await query(url, `INSERT INTO tcplens.tcp_flows VALUES ${rows.join(',')}`);
  });

  after(() => {
    server?.kill('SIGTERM');
    if (dir) setTimeout(() => fs.rmSync(dir, { recursive: true, force: true }), 2000).unref();
  });

  it('predicts coverage from the stored lifetimes of the flows closed in the window', () => {
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'compare',
        '--from-clickhouse',
        '--clickhouse-url',
        url,
        '--since',
        '1h',
        '--intervals',
        '10ms,1s',
        '--predict',
        '10s',
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as {
      predictions: Array<{
        interval_ms: number;
        flows: number;
        predicted_coverage: number;
        stored_poll_coverage: number;
        bytes: number;
        bytes_unpolled: number;
      }>;
    };
    expect(out.predictions.map((p) => p.interval_ms)).to.deep.equal([10, 1000, 10000]);
    const expected = (P: number): number => (100 * Math.min(1, 5 / P) + 10 * Math.min(1, 2000 / P)) / 110;
    for (const p of out.predictions) {
      expect(p.flows).to.equal(110);
      expect(p.predicted_coverage, `${p.interval_ms} ms`).to.be.closeTo(expected(p.interval_ms), 1e-9);
      expect(p.stored_poll_coverage).to.be.closeTo(10 / 110, 1e-9);
      expect(p.bytes).to.equal(110 * 3000);
      expect(p.bytes_unpolled).to.equal(110 * 500);
    }
  });

  it("a database without the sink's table: one line saying so, exit 2", () => {
    const r = spawnSync(process.execPath, [BIN, 'compare', '--from-clickhouse', '--clickhouse-url', url, '--database', 'nosink'], {
      encoding: 'utf8',
    });
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/needs the ClickHouse sink: table nosink\.tcp_flows does not exist/);
  });

  it('a measured run stores one coverage row per view and interval, equal to its report', async function () {
    this.timeout(120_000);
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'compare',
        '--loadgen',
        'rate=200,flows=60,duration=5ms,bytes=1k,seed=3',
        '--intervals',
        '100ms,1s',
        '--views',
        'poll,destroy',
        '--duration',
        '20s',
        '--json',
        '--database',
        'cmpstore',
      ],
      { encoding: 'utf8', env: { ...process.env, TCPLENS_CLICKHOUSE_URL: url } },
    );
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as {
      views: Array<{ view: string; interval_ms: number | null; flows_seen: number; flows_missed: number; rows: number }>;
    };
    const runId = /run_id ([0-9a-f-]{36})/.exec(r.stderr)?.[1];
    expect(runId, r.stderr).to.be.a('string');
    const client = createClient({ url, log: { level: ClickHouseLogLevel.OFF } });
    const rs = await client.query({
      query: `SELECT view, interval_ms, flows_seen, flows_missed, events FROM cmpstore.coverage WHERE run_id = '${runId}' ORDER BY view, interval_ms`,
      format: 'JSONEachRow',
    });
    const stored = await rs.json<{ view: string; interval_ms: number; flows_seen: string; flows_missed: string; events: string }>();
    await client.close();
    const want = report.views
      .map((v) => ({
        view: v.view,
        interval_ms: v.interval_ms ?? 0,
        flows_seen: String(v.flows_seen),
        flows_missed: String(v.flows_missed),
        events: String(v.rows),
      }))
      .sort((a, b) => (a.view === b.view ? a.interval_ms - b.interval_ms : a.view < b.view ? -1 : 1));
    expect(stored).to.deep.equal(want);
    expect(stored.map((s) => s.view)).to.deep.equal(['destroy', 'poll', 'poll']);
  });
});
