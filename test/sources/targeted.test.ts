// TargetedSource against the real kernel: exact-match inet_diag requests by
// 4-tuple and cookie inside a test namespace answer a live socket with its
// full tcp_info, IPv4 and IPv6; a wrong cookie, a tuple nobody holds, and a
// socket closed since are counted gone; a namespace not watched is never
// asked.
import { expect } from 'chai';
import { PollSource } from '../../src/sources/poll';
import { TargetedSource } from '../../src/sources/targeted';
import { parseNetnsSelector } from '../../src/netns/select';
import type { Target } from '../../src/run/target_queue';
import { suiteWorkloads } from '../helpers/netns';
import { netnsInode } from '../helpers/events';
import { scaled } from '../helpers/time_scale';

interface Row {
  target: Target;
  state: number;
  rtt: number;
  acked: bigint;
  tcpiLen: number;
}

describe('TargetedSource: exact-match requests for single sockets', function () {
  this.timeout(scaled(60_000));
  const netns = suiteWorkloads('tgt');

  /** Every established socket in the namespace as a target (cookies from a real dump). */
  async function liveTargets(ns: string): Promise<Target[]> {
    const poll = new PollSource({ netns: parseNetnsSelector(ns) });
    const out: Target[] = [];
    await poll.cycle((b) => {
      for (let i = 0; i < b.rows; i++) {
        if (b.u8('idiag_state')[i] !== 1) continue;
        out.push({
          ns: Number(b.u64('netns_inode')[i]),
          cookie: b.u64('idiag_cookie')[i]!,
          family: b.u8('idiag_family')[i]!,
          src: b.b16('src', i).slice(),
          dst: b.b16('dst', i).slice(),
          sport: b.u16('sport')[i]!,
          dport: b.u16('dport')[i]!,
          trigger: 'open',
          eventMs: 0,
          dueMs: 0,
          cancelled: false,
        });
      }
    });
    poll.close();
    return out;
  }

  it('answers live sockets with tcp_info; counts the gone ones; never asks outside the watched namespaces', async () => {
    const load = await netns.start({
      pairs: [
        { family: 4, send: 5000 },
        { family: 6, send: 3000 },
      ],
    });
    const live = await liveTargets(netns.name);
    expect(live).to.have.length(4); // two pairs, both ends
    const wrongCookie = { ...live[0]!, cookie: live[0]!.cookie + 1000n };
    const nobody = { ...live[1]!, sport: 1, dport: 1, cookie: 0n }; // no cookie: any socket with the tuple, and there is none
    // the server end's local port with another peer: the kernel's lookup falls back to the listener, which is not a flow
    const port = load.info.sockets.find((x) => x.role === 'listener' && x.family === 2)!.sport;
    const listener = { ...live.find((t) => t.family === 2 && t.sport === port)!, dport: 1, cookie: 0n };
    const elsewhere = { ...live[2]!, ns: live[2]!.ns + 1 };
    const src = new TargetedSource(parseNetnsSelector(netns.name));
    const rows: Row[] = [];
    const asked = [...live, wrongCookie, nobody, listener, elsewhere];
    const r = await src.lookup(asked, (b, ctx) => {
      expect(ctx.ns.inode).to.equal(netnsInode(netns.name));
      expect(ctx.trigger).to.equal('open');
      for (let i = 0; i < b.rows; i++) {
        const cookie = b.u64('idiag_cookie')[i]!;
        rows.push({
          target: live.find((t) => t.cookie === cookie)!,
          state: b.u8('idiag_state')[i]!,
          rtt: b.u32('tcpi_rtt')[i]!,
          acked: b.u64('tcpi_bytes_acked')[i]!,
          tcpiLen: b.u16('tcpi_len')[i]!,
        });
      }
    });
    expect(r).to.deep.equal({ requested: 7, answered: 4, gone: 3, failed: 0, noNetns: 1 });
    expect(rows.map((x) => x.target?.cookie).sort()).to.deep.equal(live.map((t) => t.cookie).sort());
    for (const x of rows) {
      expect(x.state, 'ESTABLISHED').to.equal(1);
      expect(x.tcpiLen, 'full tcp_info').to.be.greaterThan(200);
      expect(x.rtt, 'a measured RTT').to.be.greaterThan(0);
    }
    // the clients sent 5000 and 3000 bytes: their acked counters say so (+1 for the SYN)
    expect(rows.map((x) => Number(x.acked)).sort((a, b) => a - b)).to.include.members([5001, 3001]);
    // and once the workload is gone, the same requests find nothing
    await load.stop();
    const after = await src.lookup(live, () => expect.fail('a snapshot of a closed socket'));
    expect(after).to.deep.include({ requested: 4, answered: 0, gone: 4, failed: 0 });
    const st = src.stats();
    expect(st).to.have.length(1);
    expect(st[0]!.stats!.requests).to.equal(11);
    src.close();
  });
});
