// Every saved question against data a real `tcplens run` wrote while real
// workloads misbehaved in a test namespace, answers computed by hand: packets
// to one peer dropped by nftables make it the top retransmitter; connects to a
// closed port are refused and to a blackholed address time out; a listener
// that never accepts overflows; a reader that stops reading makes its peer a
// slow receiver. The questions are asked through the real CLI.
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createNetns, deleteNetns } from '../helpers/netns';
import { skipUnlessEvents } from '../helpers/events';
import { haveClickHouse, rows as chRows, sharedServer } from '../helpers/clickhouse';
import { killRuns, runCli, startRun } from '../helpers/run_proc';
import { skipIf } from '../helpers/skip';
import { workload } from '../helpers/forensics';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Row = Record<string, string | number>;

describe('saved questions on data from a real tcplens run', function () {
  this.timeout(180_000);
  const ch = sharedServer();
  let ns = '';
  let ino = 0;
  let db = '';
  let spool = '';
  const truth: Record<string, Record<string, unknown>> = {};
  let dropped = 0;
  let synsDropped = 0;
  const BULK = 400_000;

  const nft = (...args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8' });
  async function ask(...args: string[]): Promise<Row[]> {
    const r = await runCli(['query', ...args, '--database', db, '--netns', String(ino), '--since', '10m', '--format', 'json'], {
      TCPLENS_CLICKHOUSE_URL: ch.url,
    });
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as Row[];
  }

  before(async function () {
    skipUnlessEvents(this);
    skipIf(this, !haveClickHouse(), 'clickhouse-server not installed (scripts/bootstrap.sh installs it)');
    ns = createNetns('qry');
    ino = fs.statSync(`/run/netns/${ns}`).ino;
    // An orphaned FIN_WAIT2 socket stays a full socket only while its FIN timeout is over
    // 60 s. Otherwise, when the ACK of its FIN is processed after close() returned (a loaded
    // host), the kernel turns it into a timewait sock, whose received reset no tracepoint
    // reports, and the overflow's queued clients lose the resets resets-by-peer counts.
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.tcp_fin_timeout=61']);
    spool = fs.mkdtempSync(path.join(os.tmpdir(), 'tlq-'));
    db = ch.freshDb('qry');
    nft('add', 'table', 'inet', 'tlq');
    nft('add', 'chain', 'inet', 'tlq', 'in', '{ type filter hook input priority 0 ; }');
    // every third data segment to 127.0.0.2 is lost (input hook: counted as retransmits)
    nft(
      'add',
      'rule',
      'inet',
      'tlq',
      'in',
      ...'ip daddr 127.0.0.2 tcp dport 7000 ip length > 200 numgen inc mod 3 == 0 counter drop'.split(' '),
    );
    // 127.0.0.5 is a black hole for SYNs
    nft('add', 'rule', 'inet', 'tlq', 'in', 'ip', 'daddr', '127.0.0.5', 'tcp', 'flags', 'syn', 'counter', 'drop');
    const run = startRun(
      [
        '--netns',
        ns,
        '--database',
        db,
        '--spool-dir',
        spool,
        '--listen',
        '127.0.0.1:0',
        '--interval',
        '300ms',
        // listeners in every poll (listen-overflows counts the polls that found a full queue)
        '--listen-interval',
        'every',
        '--views',
        'poll,destroy,events',
      ],
      { TCPLENS_CLICKHOUSE_URL: ch.url },
    );
    await run.waitFor('run.started');
    await sleep(500);
    truth['lossy'] = await workload(ns, 'bulk', '127.0.0.2', 7000, BULK);
    truth['clean'] = await workload(ns, 'bulk', '127.0.0.3', 7000, BULK);
    const [refused, blackhole, overflow, slow] = await Promise.all([
      workload(ns, 'refused', '127.0.0.4', 7002, 3),
      workload(ns, 'blackhole', '127.0.0.5', 7005, 2),
      workload(ns, 'overflow', '127.0.0.6', 7003, 5, 1.5),
      workload(ns, 'slowreader', '127.0.0.7', 7004, 1.5),
    ]);
    Object.assign(truth, { refused, blackhole, overflow, slow });
    const counters = [...nft('list', 'chain', 'inet', 'tlq', 'in').matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    [dropped = 0, synsDropped = 0] = counters;
    await sleep(800); // the last closes drained and past their grace
    run.proc.kill('SIGTERM');
    expect(await run.exited).to.equal(0);
  });
  after(() => {
    killRuns();
    if (ns) deleteNetns(ns);
    if (spool) fs.rmSync(spool, { recursive: true, force: true });
  });

  it('retransmit-top: the peer behind the lossy rule is the top retransmitter, the clean one retransmitted nothing', async () => {
    expect(dropped).to.be.greaterThan(0);
    const rows = await ask('retransmit-top');
    expect(rows[0]!['key']).to.equal('127.0.0.2');
    expect(Number(rows[0]!['retrans_segs'])).to.be.at.least(dropped);
    expect(Number(rows[0]!['retransmit_events'])).to.be.at.least(dropped);
    expect(Number(rows[0]!['bytes_retrans'])).to.be.greaterThan(0);
    expect(Number(rows[0]!['bytes_sent'])).to.be.at.least(BULK);
    // no rule drops the other peer's packets; a CPU-starved loopback may still time out now and then
    const clean = rows.find((r) => r['key'] === '127.0.0.3')!;
    expect(Number(clean['retrans_segs'])).to.be.below(Number(rows[0]!['retrans_segs']));
    const byProc = await ask('retransmit-top', '--by', 'process', '--peer', '127.0.0.2');
    expect(byProc.map((r) => r['key'])).to.deep.equal(['python3']);
  });

  it('handshake-failures: a closed port refuses, a black hole times out, with its SYN retransmits', async () => {
    expect(truth['refused']!['errors']).to.deep.equal(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(truth['blackhole']!['errors']).to.deep.equal(['ETIMEDOUT', 'ETIMEDOUT']);
    const rows = await ask('handshake-failures');
    const refused = rows.find((r) => r['peer'] === '127.0.0.4')!;
    expect(refused).to.include({ peer_port: 7002, failed: '3', refused: '3', timed_out: '0' });
    const hole = rows.find((r) => r['peer'] === '127.0.0.5')!;
    expect(hole).to.include({ peer_port: 7005, failed: '2', refused: '0', timed_out: '2' });
    expect(synsDropped).to.be.greaterThan(2);
    expect(Number(hole['syn_retrans'])).to.equal(synsDropped - 2); // every SYN past each connect's first
    // the full listener: of 5 connects, backlog + 1 = 2 were queued; the other 3 waited in SYN_SENT until closed
    const full = rows.find((r) => r['peer'] === '127.0.0.6')!;
    expect(full).to.include({ peer_port: 7003, failed: '3', refused: '0', timed_out: '3' });
    expect(rows.map((r) => r['peer'])).to.have.members(['127.0.0.4', '127.0.0.5', '127.0.0.6']); // nothing else failed
  });

  it('resets-by-peer: the refused connects received resets in SYN_SENT; the stack sent as many from no socket', async () => {
    const rows = await ask('resets-by-peer');
    const received = rows.filter((r) => r['direction'] === 'received');
    const resets = (peer: string, port: number): number =>
      received.filter((r) => r['peer'] === peer && r['peer_port'] === port).reduce((n, r) => n + Number(r['resets']), 0);
    const states = (peer: string): string[] => [...new Set(received.filter((r) => r['peer'] === peer).map((r) => String(r['state'])))];
    expect(resets('127.0.0.4', 7002)).to.equal(3); // the refused connects, in SYN_SENT
    expect(states('127.0.0.4')).to.deep.equal(['SYN_SENT']);
    // the backlog + 1 queued connections, reset by the listener's close after the client's own close
    // (FIN_WAIT1, or FIN_WAIT2 once the queued child acked the FIN)
    expect(resets('127.0.0.6', 7003)).to.equal(2);
    expect(['FIN_WAIT1', 'FIN_WAIT2']).to.include.members(states('127.0.0.6'));
    expect(resets('127.0.0.7', 7004)).to.equal(1); // the slow reader closed with unread data
    expect(['FIN_WAIT1', 'FIN_WAIT2']).to.include.members(states('127.0.0.7'));
    expect(received.reduce((n, r) => n + Number(r['resets']), 0)).to.equal(6); // and nothing else
    // ours to them: the stack's answers to the three SYNs (no socket: state CLOSE, no cookie), and the closes above
    const sent = rows.filter((r) => r['direction'] === 'sent');
    expect(sent.every((r) => r['peer'] === '127.0.0.1' && r['state'] === 'CLOSE')).to.equal(true);
    expect(sent.filter((r) => r['sockets'] === '0').reduce((n, r) => n + Number(r['resets']), 0)).to.be.at.least(3);
    expect(sent.filter((r) => r['sockets'] === '1').reduce((n, r) => n + Number(r['resets']), 0)).to.equal(3);
  });

  it('listen-overflows: the listener that never accepts held backlog + 1 connections', async () => {
    const rows = await ask('listen-overflows');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ address: '127.0.0.6', port: 7003, backlog: 1, max_accept_queue: 2 });
    expect(Number(rows[0]!['polls_full'])).to.be.at.least(2); // held 1.5 s, polled every 300 ms
  });

  it('slow-endpoints: the reader that stopped reading is a slow receiver; its own socket kept the unread bytes', async () => {
    const rows = await ask('slow-endpoints');
    const reader = rows.find((r) => r['peer'] === '127.0.0.7' && r['peer_port'] === 7004)!;
    expect(Number(reader['rwnd_limited_ms'])).to.be.greaterThan(0);
    expect(Number(reader['zero_window_polls'])).to.be.at.least(1);
    const own = rows.find((r) => r['peer_port'] === truth['slow']!['sport'])!;
    expect(Number(own['max_recv_q'])).to.equal(truth['slow']!['recv_q']);
  });

  it('who-talked and top-flows: the client process, its pid and its exact bytes', async () => {
    const who = await ask('who-talked', '--peer', '127.0.0.2/32');
    expect(who).to.have.length(1);
    // acked counts the SYN and the FIN too
    expect(who[0]).to.include({ comm: 'python3', pid: truth['lossy']!['pid'] as number, flows: '1', bytes_out: String(BULK + 2) });
    const top = await ask('top-flows', '--limit', '2', '--port', '7000');
    expect(top.map((r) => r['dst'])).to.have.members(['127.0.0.2', '127.0.0.3']);
    for (const r of top) expect(r).to.include({ bytes_out: String(BULK + 2), close_reason: 'fin' });
  });

  it('tcp_flows carries the forensics columns: close reason, handshake, state at close, tcp_info extras', async () => {
    const got = await chRows<Row>(
      ch.client,
      `SELECT dst, close_reason, handshake, state_at_close, tcpi_min_rtt, toString(tcpi_bytes_sent) AS sent,
              toString(tcpi_bytes_retrans) AS retrans, toString(tcpi_busy_time) AS busy
       FROM ${db}.tcp_flows WHERE netns_inode = ${ino} AND direction = 1 AND dport IN (7000, 7002, 7005) ORDER BY dst`,
    );
    const by = (dst: string): Row[] => got.filter((r) => r['dst'] === dst);
    for (const dst of ['127.0.0.2', '127.0.0.3']) {
      expect(by(dst)).to.have.length(1);
      // the client shut down first, then read the server's FIN: FIN_WAIT2 -> TIME_WAIT -> gone
      expect(by(dst)[0]).to.include({ close_reason: 'fin', handshake: 1 });
      expect([4, 5, 6]).to.include(by(dst)[0]!['state_at_close']);
      expect(Number(by(dst)[0]!['tcpi_min_rtt'])).to.be.greaterThan(0);
      expect(Number(by(dst)[0]!['sent'])).to.be.at.least(BULK);
    }
    expect(Number(by('127.0.0.2')[0]!['retrans'])).to.be.greaterThan(0);
    expect(Number(by('127.0.0.2')[0]!['busy'])).to.be.greaterThan(0); // recovering losses kept it sending
    expect(Number(by('127.0.0.3')[0]!['retrans'])).to.be.below(Number(by('127.0.0.2')[0]!['retrans']));
    expect(by('127.0.0.4').map((r) => [r['close_reason'], r['handshake'], r['state_at_close']])).to.deep.equal(
      Array(3).fill(['reset_received', 0, 2]),
    );
    expect(by('127.0.0.5').map((r) => [r['close_reason'], r['handshake'], r['state_at_close']])).to.deep.equal(
      Array(2).fill(['timeout', 0, 2]),
    );
  });

  it('short-lived, view-coverage and rtt-by-peer agree with what the run saw', async () => {
    const short = await ask('short-lived', '--shorter-than', '1h', '--peer', '127.0.0.4');
    expect(short).to.have.length(1);
    expect(short[0]).to.include({ comm: 'python3', peer: '127.0.0.4', flows: '3', short: '3', short_share: 1 });
    const cov = await ask('view-coverage', '--interval', '1h');
    expect(cov.map((r) => String(r['seen_by'])).every((v) => v.includes('events') || v.includes('poll'))).to.equal(true);
    const rtt = await ask('rtt-by-peer', '--peer', '127.0.0.7', '--step', '1h');
    expect(rtt).to.have.length(1);
    expect(Number(rtt[0]!['polls'])).to.be.at.least(2);
    expect(Number(rtt[0]!['rtt_p50_ms'])).to.be.greaterThan(0);
  });

  it('tcplens flow COOKIE: the slow client socket, polls and events in order, deltas between them', async () => {
    const top = await ask('top-flows', '--peer', '127.0.0.7', '--limit', '1');
    const cookie = String(top[0]!['cookie']);
    const r = await runCli(['flow', cookie, '--database', db, '--netns', ns, '--since', '10m', '--format', 'ndjson'], {
      TCPLENS_CLICKHOUSE_URL: ch.url,
    });
    expect(r.code, r.stderr).to.equal(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    const ts = rows.map((x) => BigInt(x['ts_ns']!));
    expect(ts).to.deep.equal([...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(rows.filter((x) => x['source'] === 'poll').length).to.be.at.least(2);
    expect(rows.map((x) => x['what'])).to.include('close');
    const counted = rows.filter((x) => Number(x['counters']) === 1);
    for (let i = 1; i < counted.length; i++)
      expect(BigInt(counted[i]!['d_bytes_acked']!)).to.equal(BigInt(counted[i]!['bytes_acked']!) - BigInt(counted[i - 1]!['bytes_acked']!));
    const last = counted[counted.length - 1]!;
    expect(Number(last['bytes_acked'])).to.be.greaterThan(0);
  });

  it('tcplens flow by peer and port: the one matching socket, or the matches listed and exit 2', async () => {
    const one = await runCli(['flow', '--peer', '127.0.0.3', '--port', '7000', '--database', db, '--since', '10m', '--format', 'json'], {
      TCPLENS_CLICKHOUSE_URL: ch.url,
    });
    expect(one.code, one.stderr).to.equal(0);
    const rows = JSON.parse(one.stdout) as Row[];
    const close = rows.find((r) => r['what'] === 'close')!;
    expect(Number(close['bytes_acked'])).to.equal(BULK + 2);
    const many = await runCli(['flow', '--peer', '127.0.0.4', '--port', '7002', '--database', db, '--since', '10m', '--format', 'csv'], {
      TCPLENS_CLICKHOUSE_URL: ch.url,
    });
    expect(many.code).to.equal(2);
    expect(many.stderr).to.match(/^tcplens: 3 sockets match --peer 127\.0\.0\.4 --port 7002 in the window: name a cookie\n$/);
    expect(many.stdout.trim().split('\r\n')).to.have.length(4); // header + the three refused connects
  });

  it('tcplens flow by local address, and by 4-tuple and time: each end of the clean transfer found on its own', async () => {
    const flowCli = (...args: string[]): ReturnType<typeof runCli> =>
      runCli(['flow', ...args, '--database', db, '--format', 'json'], { TCPLENS_CLICKHOUSE_URL: ch.url });
    // the client's end, as top-flows names it
    const [client] = await ask('top-flows', '--peer', '127.0.0.3', '--port', '7000', '--limit', '1');
    const src = String(client!['src']),
      sport = String(client!['sport']);
    expect(client!['dst']).to.equal('127.0.0.3');
    // its 4-tuple in the window: the client socket
    const tuple = ['--local', src, '--local-port', sport, '--peer', '127.0.0.3', '--peer-port', '7000'];
    const one = await flowCli(...tuple, '--since', '10m');
    expect(one.code, one.stderr).to.equal(0);
    const close = (JSON.parse(one.stdout) as Row[]).find((r) => r['what'] === 'close')!;
    expect(Number(close['bytes_acked'])).to.equal(BULK + 2);
    // the same 4-tuple in a window that ended before the run: nothing, exit 2
    const before = await flowCli(...tuple, '--since', '3h', '--until', '2h');
    expect(before.code).to.equal(2);
    expect(before.stderr).to.match(
      /^tcplens: 0 sockets match --peer 127\.0\.0\.3 --local \S+ --local-port \d+ --peer-port 7000 in the window/,
    );
    // by the local end alone: the server's accepted socket (local 127.0.0.3:7000, peer the client's end)
    const server = await flowCli('--local', '127.0.0.3/32', '--local-port', '7000', '--peer-port', sport, '--since', '10m');
    expect(server.code, server.stderr).to.equal(0);
    const got = (JSON.parse(server.stdout) as Row[]).filter((r) => Number(r['counters']) === 1);
    expect(Math.max(...got.map((r) => Number(r['bytes_received'])))).to.be.at.least(BULK);
    // a bad local address is one line, exit 2; an address without a port is refused before any server is asked
    const bad = await flowCli('--local', '10.0.0.300', '--local-port', '1');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/^tcplens: --local: "10\.0\.0\.300" is not an address or CIDR/);
    const noPort = await flowCli('--local', '127.0.0.3');
    expect(noPort.code).to.equal(2);
    expect(noPort.stderr).to.match(/name a cookie, or an address .* and a port/);
  });
});
