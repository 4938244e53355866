// tcplens trace: events printed live, as JSON with the column names; bad
// input and an unavailable view end with one clear line; loss is reported.
import { expect } from 'chai';
import { spawn, spawnSync, execFileSync } from 'child_process';
import * as path from 'path';
import { eventsSuite } from '../helpers/events';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/tcplens.js');
const CHURN = path.join(ROOT, 'test/helpers/churn.py');
const DROP = 'cap_bpf,cap_perfmon,cap_sys_admin';

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs tcplens trace; once stdout shows anything (the table header, or
 * the "[" of json), runs `during`. */
function trace(args: string[], during: () => void, readyMs = 0): Promise<Run> {
  const p = spawn('node', [BIN, 'trace', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '',
    err = '',
    fired = false;
  const fire = (): void => {
    if (!fired) {
      fired = true;
      during();
    }
  };
  p.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (!readyMs) fire();
  });
  p.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  if (readyMs) setTimeout(fire, readyMs);
  return new Promise((r) => p.once('exit', (code) => r({ code: code ?? -1, out, err })));
}

const churn = (ns: string, n: number, bytes = 0): { listener: [string, number] } =>
  JSON.parse(
    execFileSync('ip', ['netns', 'exec', ns, 'python3', CHURN, String(n), String(bytes)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!,
  );

describe('tcplens trace', function () {
  this.timeout(60_000);
  let ns = '';
  eventsSuite('trace', (n) => (ns = n));

  it("--format json: one array of events named like the poll view's fields, kinds and states as text", async () => {
    let lport = 0;
    const r = await trace(['--netns', ns, '--format', 'json', '--duration', '2s'], () => {
      lport = churn(ns, 5, 400).listener[1];
    });
    expect(r.code, r.err).to.equal(0);
    const recs = JSON.parse(r.out) as Array<Record<string, unknown>>;
    const kinds = (k: string): Array<Record<string, unknown>> => recs.filter((x) => x.kind === k);
    expect(kinds('active_open')).to.have.length(5);
    expect(kinds('passive_open')).to.have.length(5);
    expect(kinds('close').filter((x) => x.dport !== 0)).to.have.length(10);
    const open = kinds('active_open')[0]!;
    expect(open).to.include({
      dport: lport,
      src: '127.0.0.1',
      dst: '127.0.0.1',
      oldstate: 'SYN-SENT',
      newstate: 'ESTAB',
      comm: 'python3',
      idiag_family: 2,
    });
    expect(open.idiag_cookie).to.match(/^\d+$/);
    expect(open.ts_ns).to.match(/^\d+$/);
    for (const k of ['pid', 'tgid', 'cgroup_id', 'netns_inode', 'sport']) expect(open[k], k).to.be.a('number');
    expect(open).to.not.have.property('tcpi_bytes_acked'); // counters only on close
    const close = kinds('close').find((x) => x.sport === open.sport)!;
    expect(close).to.include({ idiag_cookie: open.idiag_cookie, tcpi_bytes_acked: 402, tcpi_bytes_received: 201 });
    expect(close.duration_ns).to.be.above(0);
    for (const k of ['tcpi_segs_in', 'tcpi_segs_out', 'tcpi_total_retrans', 'tcpi_rtt', 'tcpi_rttvar', 'tcpi_delivered', 'tcpi_lost']) {
      expect(close[k], k).to.be.a('number');
    }
  });

  it('--kinds and --ports keep only what they name; --format ndjson streams one object per line', async () => {
    let lport = 0;
    const r = await trace(
      ['--netns', ns, '--format', 'ndjson', '--kinds', 'passive_open,reset_received', '--ports', '1,18082', '--duration', '3s'],
      () => {
        lport = churn(ns, 3).listener[1];
        spawnSync('ip', [
          'netns',
          'exec',
          ns,
          'python3',
          '-c',
          'import socket\ntry: socket.create_connection(("127.0.0.1", 18082))\nexcept OSError: pass',
        ]);
      },
      1500,
    );
    expect(r.code, r.err).to.equal(0);
    const recs = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lport).to.not.equal(18082);
    // churn's listener port is neither 1 nor 18082: only the refused connect is kept
    expect(recs.map((x) => [x.kind, x.dport])).to.deep.equal([['reset_received', 18082]]);
  });

  it('a ring buffer too small for the burst: lost events are counted and reported on stderr', async () => {
    const r = await trace(
      ['--netns', ns, '--format', 'none', '--ring-bytes', '4k', '--interval', '30s', '--duration', '2500ms'],
      () => {
        churn(ns, 200);
      },
      1200,
    );
    expect(r.code, r.err).to.equal(0);
    const m = /^events: (\d+) read, (\d+) lost/m.exec(r.out);
    expect(m, r.out).to.not.equal(null);
    const [read, lost] = [Number(m![1]), Number(m![2])];
    expect(lost).to.be.greaterThan(0);
    expect(read).to.be.greaterThan(0);
    expect(r.err).to.include(`tcplens: events lost: ${lost} `);
  });

  it('bad input: one line on stderr, exit 2', () => {
    for (const args of [
      ['--kinds', 'bogus'],
      ['--ring-bytes', '1000'],
      ['--ports', '70000'],
      ['--duration', 'soon'],
    ]) {
      const r = spawnSync('node', [BIN, 'trace', ...args], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(r.stderr).to.match(/^tcplens: --/);
    }
  });

  it(`without ${DROP}: trace says why in one line and exits 1; poll and destroy still work`, () => {
    const capsh = (cmd: string): ReturnType<typeof spawnSync> =>
      spawnSync('capsh', [`--drop=${DROP}`, '--', '-c', cmd], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 }); // the host may hold many sockets
    const t = capsh(`node ${BIN} trace --duration 1s`);
    expect(t.status).to.equal(1);
    const lines = String(t.stderr).trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^tcplens: events view unavailable: no CAP_BPF \+ CAP_PERFMON/);
    const p = capsh(`node ${BIN} poll --netns host --format json`);
    expect(p.status, String(p.stderr)).to.equal(0);
    expect(JSON.parse(String(p.stdout))).to.be.an('array');
    // A long-running poll with the destroy view: one eBPF warning, then it runs.
    const d = capsh(`node ${BIN} poll --netns host --interval 100ms --count 2 --destroy --format none`);
    expect(d.status, String(d.stderr)).to.equal(0);
    expect(
      String(d.stderr)
        .split('\n')
        .filter((l) => /eBPF/.test(l)),
    ).to.have.length(1);
    expect(String(d.stdout)).to.match(/^polled \d+ sockets/m);
  });
});
