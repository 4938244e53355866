// Encoded Native blocks written through the sink into a real ClickHouse read
// back equal: every type the encoders emit (UInt8..UInt64 past 2^53,
// FixedString(16) IPv4-mapped and IPv6, dictionary and plain strings,
// DateTime), and a real poll batch of a known workload in a fresh netns.
import { expect } from 'chai';
import { ColumnBatch, type PollBatch } from '../../../src/layout/batch';
import { ClickHouseSink } from '../../../src/sinks/clickhouse/sink';
import { applySchema } from '../../../src/sinks/clickhouse/schema';
import { PollSource } from '../../../src/sources/poll';
import { parseNetnsSelector } from '../../../src/netns/select';
import { formatAddress } from '../../../src/format/address';
import type { FlowRow } from '../../../src/correlate/flow_row';
import { columnsFromHeader } from '../../helpers/columns_h';
import { rows, sharedServer, type TestServer } from '../../helpers/clickhouse';
import { createNetns, deleteNetns, isRoot, startWorkload } from '../../helpers/netns';

const BIG = 0xfedcba9876543210n; // > 2^53: must survive exactly

async function sinkFor(t: TestServer, db: string, host = 'h1'): Promise<ClickHouseSink> {
  await applySchema(t.client, { database: db });
  const sink = new ClickHouseSink({ clickhouse: { url: t.url, user: 'default', password: '', database: db }, host, flushIntervalMs: 100 });
  await sink.start();
  return sink;
}

describe('ClickHouse Native encoders against a real server', function () {
  this.timeout(60_000);
  const t = sharedServer();

  it('an events batch (every column type) reads back equal', async () => {
    const db = t.freshDb('ev');
    const sink = await sinkFor(t, db);
    const b = new ColumnBatch(8, columnsFromHeader('event_columns.h', 'TL_EVENT_COLUMNS'));
    b.rows = 3;
    const now = BigInt(Date.now()) * 1_000_000n + 123_456n;
    for (let i = 0; i < 3; i++) {
      b.u64('ts_ns')[i] = now + BigInt(i);
      b.u64('idiag_cookie')[i] = BIG - BigInt(i);
      b.u64('netns_inode')[i] = 4026531840n + BigInt(i);
      b.u64('tcpi_bytes_acked')[i] = 2n ** 63n + BigInt(i);
      b.u32('pid')[i] = 4_000_000_000 + i;
      b.u32('comm')[i] = i; // 0 = unknown
      b.u16('sport')[i] = 65535 - i;
      b.u16('dport')[i] = 443;
      b.u8('kind')[i] = 5;
      b.u8('newstate')[i] = 255;
    }
    b.u8('idiag_family').set([2, 10, 2]);
    b.b16('src', 0).set([10, 1, 2, 3]);
    b.b16('dst', 0).set([192, 168, 0, 255]);
    b.b16('src', 1).set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    b.b16('dst', 1).set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0, 0, 0, 0, 0, 0x42]);
    b.b16('src', 2).set([127, 0, 0, 1]);
    sink.writeEvents(b, ['curl', 'nginx: worker']);
    b.rows = 0; // the sink copied: reusing the batch must not matter
    await sink.close();
    const got = await rows<Record<string, string | number>>(
      t.client,
      `SELECT host, toUnixTimestamp(ts) AS ts, ts_ns, idiag_cookie, netns_inode, tcpi_bytes_acked, pid, comm, sport, dport, kind, newstate, idiag_family, IPv6NumToString(src) AS src, IPv6NumToString(dst) AS dst, tl_batch FROM ${db}.tcp_events ORDER BY ts_ns`,
    );
    expect(got).to.have.length(3);
    expect(got.map((r) => r['src'])).to.deep.equal(['::ffff:10.1.2.3', '2001:db8::1', '::ffff:127.0.0.1']);
    expect(got.map((r) => r['dst'])).to.deep.equal(['::ffff:192.168.0.255', 'fe80::abcd:0:0:42', '::ffff:0.0.0.0']);
    expect(got.map((r) => r['comm'])).to.deep.equal(['', 'curl', 'nginx: worker']);
    got.forEach((r, i) => {
      expect(r['host']).to.equal('h1');
      expect(BigInt(r['ts_ns']!)).to.equal(now + BigInt(i));
      expect(Number(r['ts'])).to.equal(Number((now + BigInt(i)) / 1_000_000_000n));
      expect(BigInt(r['idiag_cookie']!)).to.equal(BIG - BigInt(i));
      expect(BigInt(r['netns_inode']!)).to.equal(4026531840n + BigInt(i));
      expect(BigInt(r['tcpi_bytes_acked']!)).to.equal(2n ** 63n + BigInt(i));
      expect(Number(r['pid'])).to.equal(4_000_000_000 + i);
      expect([Number(r['sport']), Number(r['dport']), Number(r['kind']), Number(r['newstate'])]).to.deep.equal([65535 - i, 443, 5, 255]);
    });
    expect(new Set(got.map((r) => r['tl_batch'])).size).to.equal(1);
    const st = sink.stats().tables['tcp_events']!;
    expect([st.rows_queued, st.rows_written, st.batches_written, st.rows_dropped]).to.deep.equal([3, 3, 1, 0]);
  });

  it('flows and poll cycles (plain rows) read back equal', async () => {
    const db = t.freshDb('fl');
    const sink = await sinkFor(t, db, 'host-β');
    const ns = BigInt(Date.now()) * 1_000_000n;
    const flow: FlowRow = {
      netns_inode: 4026532000n,
      idiag_cookie: BIG,
      idiag_family: 10,
      src: '2001:db8::1',
      sport: 40000,
      dst: '2001:db8::2',
      dport: 443,
      views: 15,
      open_ns: ns - 5_000_000_000n,
      close_ns: ns,
      first_seen_ns: ns - 5n,
      last_seen_ns: ns,
      first_poll_ns: ns - 4n,
      last_poll_ns: ns - 1n,
      polls: 4,
      duration_ns: 5_000_000_000n,
      final_source: 'events',
      direction: 1,
      tcpi_bytes_acked: 2n ** 60n,
      tcpi_bytes_received: 77n,
      tcpi_segs_in: 10,
      tcpi_segs_out: 11,
      tcpi_total_retrans: 2,
      tcpi_rtt: 250,
      bytes_unpolled: 5n,
      peak_bytes_per_s: 123456789012n,
      peak_retrans: 3,
      retransmit_events: 2,
      reset_events: 0,
      pid: 123,
      tgid: 120,
      comm: 'ssh',
      cgroup_id: BIG,
      evicted: 0,
      close_reason: 'reset_received',
      handshake: 1,
      state_at_close: 1,
      tcpi_min_rtt: 90,
      tcpi_busy_time: 2n ** 40n,
      tcpi_rwnd_limited: 7n,
      tcpi_sndbuf_limited: 8n,
      tcpi_lost: 3,
      tcpi_reord_seen: 4,
      tcpi_bytes_sent: 2n ** 60n + 5n,
      tcpi_bytes_retrans: 1448n,
    };
    sink.writeFlows([flow, { ...flow, idiag_cookie: 1n, close_ns: 0n, src: '10.0.0.1', final_source: 'poll', comm: '' }]);
    sink.writePollCycles([
      {
        ts_ns: ns,
        netns_inode: 4026531840,
        netns_name: 'host',
        duration_us: 1234,
        sockets: 99,
        batches: 1,
        bytes: 51_000,
        errors: 0,
        errno: 0,
        error_code: '',
        mode: 'lookup',
        dump_reason: '',
      },
      {
        ts_ns: ns,
        netns_inode: 4026532001,
        netns_name: 'blue',
        duration_us: 5,
        sockets: 0,
        batches: 0,
        bytes: 0,
        errors: 1,
        errno: 1,
        error_code: 'EPERM',
        mode: 'dump',
        dump_reason: 'failed',
      },
    ]);
    await sink.close();
    const flows = await rows<Record<string, string | number>>(t.client, `SELECT * FROM ${db}.tcp_flows ORDER BY idiag_cookie DESC`);
    expect(flows).to.have.length(2);
    const f = flows[0]!;
    for (const k of Object.keys(flow) as Array<keyof FlowRow>) expect(String(f[k]), k).to.equal(String(flow[k]));
    expect(f['host']).to.equal('host-β');
    expect(flows[1]!['src']).to.equal('10.0.0.1');
    const cycles = await rows<Record<string, string | number>>(
      t.client,
      `SELECT netns_name, sockets, errno, error_code, mode, dump_reason, ts_ns FROM ${db}.poll_cycles ORDER BY netns_name`,
    );
    expect(
      cycles.map((c) => [
        c['netns_name'],
        Number(c['sockets']),
        Number(c['errno']),
        c['error_code'],
        c['mode'],
        c['dump_reason'],
        BigInt(c['ts_ns']!),
      ]),
    ).to.deep.equal([
      ['blue', 0, 1, 'EPERM', 'dump', 'failed', ns],
      ['host', 99, 0, '', 'lookup', '', ns],
    ]);
  });

  it('a real poll batch of a known workload lands in tcp_snapshots as the poll view returned it', async function () {
    if (!isRoot()) {
      this.skip();
      return;
    } // namespaces need root; CI runs as root
    const db = t.freshDb('snap');
    const sink = await sinkFor(t, db);
    const name = createNetns('chs');
    const load = await startWorkload(name, {
      pairs: [
        { family: 4, cong: 'reno', send: 1000, unread: 300 },
        { family: 6, send: 5000 },
      ],
      listeners: [{ family: 4 }],
    });
    try {
      const src = new PollSource({ netns: parseNetnsSelector(name) });
      const expected: Array<Record<string, string>> = [];
      await src.cycle((batch: PollBatch, ctx) => {
        for (let i = 0; i < batch.rows; i++) {
          const fam = batch.u8('idiag_family')[i]!;
          expected.push({
            idiag_cookie: String(batch.u64('idiag_cookie')[i]),
            ts_ns: String(batch.u64('ts_ns')[i]),
            netns_inode: String(batch.u64('netns_inode')[i]),
            src: formatAddress(fam, batch.b16('src', i)),
            sport: String(batch.u16('sport')[i]),
            dst: formatAddress(fam, batch.b16('dst', i)),
            dport: String(batch.u16('dport')[i]),
            idiag_state: String(batch.u8('idiag_state')[i]),
            cong: ctx.names[batch.u16('cong')[i]! - 1] ?? '',
            tcpi_bytes_acked: String(batch.u64('tcpi_bytes_acked')[i]),
            tcpi_bytes_received: String(batch.u64('tcpi_bytes_received')[i]),
            tcpi_rtt: String(batch.u32('tcpi_rtt')[i]),
            tcpi_snd_cwnd: String(batch.u32('tcpi_snd_cwnd')[i]),
            idiag_rqueue: String(batch.u32('idiag_rqueue')[i]),
            tcpi_pacing_rate: String(batch.u64('tcpi_pacing_rate')[i]),
            tcpi_max_pacing_rate: String(batch.u64('tcpi_max_pacing_rate')[i]),
          });
        }
        sink.writeSnapshots(batch, ctx);
      });
      src.close();
      await sink.close();
      expect(expected.length).to.be.at.least(5); // 2 pairs x 2 ends + listeners
      expect(expected.some((e) => e['cong'] === 'reno')).to.equal(true);
      const got = await rows<Record<string, string>>(
        t.client,
        `SELECT toString(idiag_cookie) AS idiag_cookie, toString(ts_ns) AS ts_ns, toString(netns_inode) AS netns_inode,
        replaceRegexpOne(IPv6NumToString(src), '^::ffff:', '') AS src, toString(sport) AS sport, replaceRegexpOne(IPv6NumToString(dst), '^::ffff:', '') AS dst, toString(dport) AS dport,
        toString(idiag_state) AS idiag_state, cong, toString(tcpi_bytes_acked) AS tcpi_bytes_acked, toString(tcpi_bytes_received) AS tcpi_bytes_received,
        toString(tcpi_rtt) AS tcpi_rtt, toString(tcpi_snd_cwnd) AS tcpi_snd_cwnd, toString(idiag_rqueue) AS idiag_rqueue,
        toString(tcpi_pacing_rate) AS tcpi_pacing_rate, toString(tcpi_max_pacing_rate) AS tcpi_max_pacing_rate FROM ${db}.tcp_snapshots`,
      );
      const key = (r: Record<string, string>): string => `${r['idiag_cookie']}`;
      expect(got.map(key).sort()).to.deep.equal(expected.map(key).sort());
      for (const e of expected) expect(got.find((g) => key(g) === key(e))).to.deep.equal(e);
      expect(sink.stats().tables['tcp_snapshots']!.rows_written).to.equal(expected.length);
    } finally {
      await load.stop();
      deleteNetns(name);
    }
  });
});
