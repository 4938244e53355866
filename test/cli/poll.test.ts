// tcplens poll against ss in the same namespace, on sockets of known
// properties (test/helpers/workload.py). Real kernel, real namespaces.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { createNetns, deleteNetns, isRoot, startWorkload, type Workload } from '../helpers/netns';
import { ssInNetns, type SsSocket } from '../helpers/ss';
import { skipIf } from '../helpers/skip';

const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');

type Rec = Record<string, number | string>;

function poll(args: string[]): Rec[] {
  const out = execFileSync('node', [BIN, 'poll', '--once', '--format', 'json', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out) as Rec[];
}

describe('tcplens poll (real namespaces, against ss)', function () {
  this.timeout(60_000);
  let ns = '';
  let wl: Workload | undefined;

  before(async function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    ns = createNetns('poll');
    wl = await startWorkload(ns, {
      listeners: [{ family: 4 }, { family: 6 }],
      pairs: [
        { family: 4, cong: 'reno', tos: 32, mark: 7, send: 4000, unread: 700 },
        { family: 6, cong: 'cubic', tos: 64, send: 2500 },
        { family: 4, send: 1000, shutdown: 'wr' },
        { family: 6, unread: 123 },
      ],
    });
  });

  after(async () => {
    await wl?.stop();
    if (ns) deleteNetns(ns);
  });

  it('reports exactly the sockets ss reports, with the shared fields equal', () => {
    const ours = poll(['--netns', ns]);
    const ss = ssInNetns(ns);
    const ssBy = new Map(ss.map((s) => [s.cookie, s]));
    const ourCookies = ours.map((r) => String(r.idiag_cookie)).sort();
    expect(ourCookies).to.deep.equal([...ssBy.keys()].sort());
    expect(ours.length).to.be.greaterThanOrEqual(14); // 2 listeners + 4 x (listener, client, server)

    for (const r of ours) {
      const s = ssBy.get(String(r.idiag_cookie)) as SsSocket;
      expect(r.idiag_inode, 'ino').to.equal(s.ino);
      expect(r.idiag_rqueue, 'Recv-Q').to.equal(s.rqueue);
      expect(r.idiag_wqueue, 'Send-Q').to.equal(s.wqueue);
      const local = Number(r.idiag_family) === 2 ? `${r.src}:${r.sport}` : `[${r.src}]:${r.sport}`;
      expect(s.local).to.equal(local);
      if (s.cong) expect(r.cong).to.equal(s.cong);
      for (const [ssKey, ourKey] of [
        ['bytes_acked', 'tcpi_bytes_acked'],
        ['bytes_received', 'tcpi_bytes_received'],
        ['bytes_sent', 'tcpi_bytes_sent'],
        ['segs_out', 'tcpi_segs_out'],
        ['segs_in', 'tcpi_segs_in'],
        ['cwnd', 'tcpi_snd_cwnd'],
        ['mss', 'tcpi_snd_mss'],
        ['rcv_space', 'tcpi_rcv_space'],
        ['data_segs_out', 'tcpi_data_segs_out'],
        ['data_segs_in', 'tcpi_data_segs_in'],
      ] as const) {
        if (s.fields[ssKey] !== undefined) expect(r[ourKey], `${ssKey} of ${local}`).to.equal(Number(s.fields[ssKey]));
      }
      if (s.fields.fwmark !== undefined) expect(r.mark).to.equal(Number(s.fields.fwmark));
      if (s.skmem) {
        expect(r.skmem_rmem_alloc).to.equal(s.skmem.r);
        expect(r.skmem_rcvbuf).to.equal(s.skmem.rb);
        expect(r.skmem_sndbuf).to.equal(s.skmem.tb);
        expect(r.skmem_drops).to.equal(s.skmem.d);
      }
    }
  });

  it('reports the properties the workload set: cong, TOS/TCLASS, mark, unread data, half-close', () => {
    const ours = poll(['--netns', ns, '--states', 'established,fin_wait2,close_wait']);
    const bySport = new Map(ours.map((r) => [Number(r.sport), r]));
    for (const w of wl!.info.sockets.filter((s) => s.role === 'client')) {
      const r = bySport.get(w.sport)!;
      expect(r, `client ${w.sport}`).to.exist;
      expect(r.idiag_family).to.equal(w.family);
      if (w.cong) expect(r.cong).to.equal(w.cong);
      if (w.tos !== undefined) expect(r.tos).to.equal(w.tos);
      if (w.tclass !== undefined) expect(r.tclass).to.equal(w.tclass);
      if (w.mark !== undefined) expect(r.mark).to.equal(w.mark);
      // Everything sent was acked: bytes_acked counts the SYN (and a FIN) too.
      expect(r.tcpi_bytes_acked).to.equal((w.sent ?? 0) + 1 + (w.shutdown === 'wr' ? 1 : 0));
      if (w.shutdown === 'wr') {
        expect(r.idiag_state).to.equal(5); // FIN_WAIT2
        expect(Number(r.shutdown) & 2, 'SEND_SHUTDOWN').to.equal(2);
      }
    }
    for (const w of wl!.info.sockets.filter((s) => s.role === 'server' && (s.unread ?? 0) > 0)) {
      const r = bySport.get(w.sport) && ours.find((x) => Number(x.sport) === w.sport && Number(x.dport) === w.dport)!;
      expect(r!.idiag_rqueue).to.equal(w.unread);
    }
  });

  it('filters states in the kernel and keeps IPv4 and IPv6 apart', () => {
    const listen = poll(['--netns', ns, '--states', 'listen']);
    expect(listen.length).to.equal(6);
    expect(listen.every((r) => r.idiag_state === 10)).to.equal(true);
    const v6 = poll(['--netns', ns, '--family', '6']);
    expect(v6.length).to.be.greaterThan(0);
    expect(v6.every((r) => r.idiag_family === 10)).to.equal(true);
  });

  it('gives the same sockets whatever the batch size (multi-batch dumps)', () => {
    const big = poll(['--netns', ns])
      .map((r) => String(r.idiag_cookie))
      .sort();
    const small = poll(['--netns', ns, '--batch-rows', '3'])
      .map((r) => String(r.idiag_cookie))
      .sort();
    expect(small).to.deep.equal(big);
  });

  it('prints ndjson, table and a summary line', () => {
    const nd = execFileSync('node', [BIN, 'poll', '--netns', ns, '--format', 'ndjson'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec);
    expect(nd.length).to.be.greaterThanOrEqual(14);
    expect(nd[0]!.netns).to.equal(ns);
    expect(typeof nd[0]!.idiag_cookie).to.equal('string');
    expect(typeof nd[0]!.ts_ns).to.equal('string');
    const table = execFileSync('node', [BIN, 'poll', '--netns', ns], { encoding: 'utf8' });
    expect(table.split('\n')[0]).to.match(/^State\s+Recv-Q\s+Send-Q/);
    expect(table).to.include('reno');
    const none = execFileSync('node', [BIN, 'poll', '--netns', ns, '--format', 'none'], { encoding: 'utf8' });
    expect(none).to.match(new RegExp(`^polled ${nd.length} sockets in 1 namespace\\(s\\) in [\\d.]+ ms`));
  });

  it('keeps polling with --interval and stops after --count', () => {
    const out = execFileSync('node', [BIN, 'poll', '--netns', ns, '--interval', '100ms', '--count', '3', '--format', 'none'], {
      encoding: 'utf8',
    });
    expect(out.trim().split('\n')).to.have.length(3);
  });
});

describe('tcplens poll: bad input', () => {
  const run = (args: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync('node', [BIN, 'poll', ...args], { encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  };

  for (const [args, pattern] of [
    [['--netns', 'no-such-netns-xyz'], /no such network namespace/],
    [['--netns', '/tmp'], /--netns: \/tmp: not a network namespace/],
    [['--interval', 'soon'], /not a duration/],
    [['--states', 'bogus'], /unknown TCP state "bogus"/],
    [['--format', 'xml'], /Invalid values/],
    [['--once', '--interval', '1s'], /mutually exclusive/],
  ] as const) {
    it(`${args.join(' ')}: one clear line, non-zero exit`, () => {
      const r = run([...args]);
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.match(pattern);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.not.match(/at .*\.js:\d+/); // no stack trace
    });
  }

  it('an addon that cannot be loaded: one line naming it, exit 1 (an error of the system, not of the input)', () => {
    const r = spawnSync('node', [BIN, 'poll', '--once'], {
      encoding: 'utf8',
      env: { ...process.env, TCPLENS_ADDON: '/nonexistent/tcplens.node' },
    });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^tcplens: tcplens native addon not loadable \(\/nonexistent\/tcplens\.node\): .*run "npm run build"\n$/);
  });
});
