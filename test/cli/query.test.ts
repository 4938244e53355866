// `tcplens query` and `tcplens flow` as a user runs them: --list, the four
// output formats reading the same rows, one-line errors with exit 2 for bad
// flags and for a server that is not there, and --print-sql for both dialects.
import { expect } from 'chai';
import * as net from 'net';
import { freePort, sharedServer, freshSchemaDb } from '../helpers/clickhouse';
import { runCli } from '../helpers/run_proc';

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks) */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [],
    field = '',
    quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(field), (field = ''));
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      out.push(row);
      ((row = []), (field = ''), i++);
    } else field += c;
  }
  return out;
}

describe('tcplens query / flow (CLI)', function () {
  this.timeout(120_000);
  const t = sharedServer();
  let db = '';
  const env = (): Record<string, string> => ({ TCPLENS_CLICKHOUSE_URL: t.url });
  const COMMS = ['curl', 'a,b "quoted"', 'line\nbreak'];

  before(async function () {
    if (!t.client) return;
    db = await freshSchemaDb(t, 'cli', { ttlDays: 0 });
    const ts = Math.floor(Date.now() / 1000) - 60;
    await t.client.insert({
      table: `${db}.tcp_flows`,
      values: COMMS.map((comm, i) => ({
        host: 'h',
        ts,
        idiag_cookie: String(2n ** 63n + BigInt(i)),
        src: '10.0.0.1',
        dst: `10.0.0.${10 + i}`,
        sport: 40000 + i,
        dport: 443,
        comm,
        tcpi_bytes_acked: 1000 * (i + 1),
        close_reason: 'fin',
      })),
      format: 'JSONEachRow',
    });
  });

  it('--list names every question with its purpose and flags', async () => {
    const r = await runCli(['query', '--list']);
    expect(r.code, r.stderr).to.equal(0);
    for (const n of ['retransmit-top', 'rtt-by-peer', 'handshake-failures', 'resets-by-peer', 'slow-endpoints', 'listen-overflows']) {
      expect(r.stdout).to.match(new RegExp(`^${n}  \\w`, 'm'));
    }
    for (const n of ['short-lived', 'who-talked', 'top-flows', 'view-coverage']) expect(r.stdout).to.match(new RegExp(`^${n}  `, 'm'));
    expect(r.stdout).to.match(/--by peer\|process\|cgroup \(default peer\)/);
    expect(r.stdout).to.match(/--peer \(required\)/);
  });

  it('table, json, ndjson and csv print the same rows; 64-bit cookies stay exact', async () => {
    const out: Record<string, string> = {};
    for (const f of ['table', 'json', 'ndjson', 'csv']) {
      const r = await runCli(['query', 'top-flows', '--database', db, '--format', f], env());
      expect(r.code, r.stderr).to.equal(0);
      out[f] = r.stdout;
    }
    const json = JSON.parse(out['json']!) as Array<Record<string, unknown>>;
    expect(json.map((r) => r['comm'])).to.deep.equal([...COMMS].reverse()); // by bytes, descending
    expect(json.map((r) => r['cookie'])).to.deep.equal(['9223372036854775810', '9223372036854775809', '9223372036854775808']);
    expect(
      out['ndjson']!.trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).to.deep.equal(json);
    const csv = parseCsv(out['csv']!);
    expect(csv[0]).to.deep.equal(Object.keys(json[0]!));
    expect(csv.slice(1).map((r) => r[csv[0]!.indexOf('comm')])).to.deep.equal(json.map((r) => r['comm']));
    const lines = out['table']!.trimEnd().split('\n');
    expect(lines).to.have.length(4); // header + 3 rows: the newline in a comm is shown as \x0a
    expect(lines[0]).to.match(/^\s*cookie\s+netns_inode\s+src/);
    expect(out['table']).to.include('line\\x0abreak');
  });

  it('bad flags: one line, exit 2, before any server is asked', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['query', 'top-flows', '--peer', '10.0.0.0/40'], /--peer: \/40 is too long/],
      [['query', 'top-flows', '--since', 'last tuesday'], /--since: "last tuesday" is not a time/],
      [['query', 'top-flows', '--port', '99999'], /--port: 99999 is out of range/],
      [['query', 'top-flows', '--format', 'xml'], /Invalid values/],
      [['query', 'no-such-question'], /no saved question "no-such-question"/],
      [['query', 'rtt-by-peer', '--by', 'process'], /--by does not apply to rtt-by-peer/],
      [['query', 'rtt-by-peer', '--comm', 'x'], /--comm does not apply to rtt-by-peer/],
      [['query', 'who-talked'], /who-talked needs --peer/],
      [['query', 'top-flows', '--limit', '10; DROP TABLE x'], /--limit: .* is not a whole number/],
      [['query'], /name a question/],
      [['flow', 'abc'], /--cookie: "abc" is not a whole number/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, { TCPLENS_CLICKHOUSE_URL: 'http://127.0.0.1:1' });
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(r.stderr, args.join(' ')).to.match(re);
      expect(r.stdout).to.equal('');
    }
  });

  it('a server that is not there: one line, exit 2', async () => {
    const port = await freePort();
    for (const args of [
      ['query', 'top-flows'],
      ['flow', '42'],
    ]) {
      const r = await runCli(args, { TCPLENS_CLICKHOUSE_URL: `http://127.0.0.1:${port}` });
      expect(r.code).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(new RegExp(`cannot reach ClickHouse at http://127.0.0.1:${port}`));
    }
    const noDb = await runCli(['query', 'top-flows', '--database', 'no_such_db'], env());
    expect(noDb.code).to.equal(2);
    expect(noDb.stderr).to.match(/no tcplens tables in database no_such_db/);
  });

  it('--print-sql: literals for 18.16, typed parameters for a modern server', async () => {
    const legacy = await runCli(['query', 'who-talked', '--peer', '10.0.0.0/8', '--comm', "x'y", '--database', db, '--print-sql'], env());
    expect(legacy.code, legacy.stderr).to.equal(0);
    expect(legacy.stdout).to.include("comm = 'x\\'y'");
    expect(legacy.stdout).to.include(`FROM ${db}.tcp_flows`);
    const modern = await runCli([
      'query',
      'who-talked',
      '--peer',
      '10.0.0.0/8',
      '--comm',
      "x'y",
      '--print-sql',
      '--server-version',
      '24.8',
    ]);
    expect(modern.code, modern.stderr).to.equal(0);
    expect(modern.stdout).to.match(/comm = \{p_comm_\d+:String\}/);
    expect(modern.stdout).to.not.include("x'y'");
    expect(modern.stdout).to.match(/^-- parameters: .*"x'y"/m);
  });

  it('a schema from before the rollups (011): one line, exit 2, run schema apply', async () => {
    const old = await freshSchemaDb(t, 'old', { ttlDays: 0 });
    for (const x of ['tcp_sock_1m_mv', 'tcp_sock_1m']) await t.client.command({ query: `DROP TABLE ${old}.${x}` });
    const r = await runCli(['query', 'slow-endpoints', '--database', old], env());
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^tcplens: the schema of \w+ is older than this question: run tcplens schema apply \(.*tcp_sock_1m.*\)\n$/);
  });

  it('--print-sql asks no server: a listener at the configured address sees no connection (query, and flow by peer)', async () => {
    let connections = 0;
    const listener = net.createServer((c) => {
      connections++;
      c.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
    try {
      const q = await runCli(['query', 'slow-endpoints', '--peer', '10.0.0.0/8', '--print-sql'], { TCPLENS_CLICKHOUSE_URL: url });
      expect(q.code, q.stderr).to.equal(0);
      expect(q.stdout).to.match(/FROM tcplens\.tcp_sock_1m\s+WHERE minute >= /); // 18.16's rendering, the rollup read
      const f = await runCli(['flow', '--peer', '10.0.0.7', '--port', '443', '--print-sql', '--server-version', '24.8'], {
        TCPLENS_CLICKHOUSE_URL: url,
      });
      expect(f.code, f.stderr).to.equal(0);
      expect(f.stdout).to.match(/^-- tcplens flow finds the socket with flow-find/);
      expect(f.stdout).to.match(/^-- parameters: .*"p_port_\d+":"443"/m);
      expect(connections).to.equal(0);
    } finally {
      listener.close();
    }
  });
});
