// The destroy view on the real kernel: every socket a test closes is
// reported once, with its cookie and final tcp_info; overruns are counted;
// watch() wakes a loop when a close waits.
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { DestroySource } from '../../src/sources/destroy';
import { parseNetnsSelector } from '../../src/netns/select';
import { suiteNetns } from '../helpers/netns';
import { heldChurn, liveCookies } from '../helpers/churn';
import { armWatch } from '../helpers/watch';
import { scaled } from '../helpers/time_scale';

const CHURN = path.resolve(__dirname, '../../../test/helpers/churn.py');

interface Row {
  cookie: string;
  state: number;
  sport: number;
  dport: number;
  acked: number;
  received: number;
  tlen: number;
}

async function collect(src: DestroySource): Promise<Row[]> {
  const rows: Row[] = [];
  await src.drain((b) => {
    for (let i = 0; i < b.rows; i++) {
      rows.push({
        cookie: b.u64('idiag_cookie')[i]!.toString(),
        state: b.u8('idiag_state')[i]!,
        sport: b.u16('sport')[i]!,
        dport: b.u16('dport')[i]!,
        acked: Number(b.u64('tcpi_bytes_acked')[i]!),
        received: Number(b.u64('tcpi_bytes_received')[i]!),
        tlen: b.u16('tcpi_len')[i]!,
      });
    }
  });
  return rows;
}

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DestroySource (sock_diag destroy multicast)', function () {
  this.timeout(scaled(60_000));
  const netns = suiteNetns('destroy', true);

  it('reports each closed socket once, with final byte counts', async () => {
    const src = new DestroySource({ netns: parseNetnsSelector(netns.name) });
    src.refresh();
    const N = 40,
      BYTES = 3000;
    const out = execFileSync('ip', ['netns', 'exec', netns.name, 'python3', CHURN, String(N), String(BYTES)], { encoding: 'utf8' });
    const truth = JSON.parse(out.trim().split('\n').pop()!) as {
      listener: [string, number];
      flows: Array<{ sport: number; dport: number }>;
    };
    await settle();
    const rows = await collect(src);
    const st = src.stats()[0]!.stats!;
    src.close();
    // N clients + N accepted + 1 listener, each exactly once
    expect(rows).to.have.length(2 * N + 1);
    expect(new Set(rows.map((r) => r.cookie)).size).to.equal(2 * N + 1);
    expect(st.enobufs).to.equal(0);
    const lport = truth.listener[1];
    for (const f of truth.flows) {
      const client = rows.find((r) => r.sport === f.sport && r.dport === lport)!;
      const server = rows.find((r) => r.sport === lport && r.dport === f.sport)!;
      expect(client, `client ${f.sport}`).to.exist;
      expect(server, `server of ${f.sport}`).to.exist;
      expect(client.tlen).to.be.greaterThan(0); // the final tcp_info came with it
      // Sequence space: each side received the data and the peer's FIN;
      // the client's data, SYN and FIN were all acked.
      expect(server.received).to.equal(BYTES + 1);
      expect(client.received).to.equal(BYTES / 2 + 1);
      expect(client.acked).to.equal(BYTES + 2);
    }
  });

  it('watch() fires once when a close waits, not before, and not again once drained', async () => {
    const src = new DestroySource({ netns: parseNetnsSelector(netns.name) });
    try {
      src.refresh();
      const woke = armWatch(src);
      await settle(200);
      expect(woke.count, 'nothing closed yet').to.equal(0);
      execFileSync('ip', ['netns', 'exec', netns.name, 'python3', CHURN, '2'], { encoding: 'utf8' });
      await woke.first();
      await settle(100);
      expect(woke.count, 'fired once (one-shot, every namespace)').to.equal(1);
      expect((await collect(src)).length).to.equal(5); // 2 connections' sockets and the listener
      const again = armWatch(src);
      await settle(200);
      expect(again.count, 'drained: quiet').to.equal(0);
    } finally {
      src.close();
    }
  });

  it('closes carry the cookies the poll view reported while the sockets lived', async () => {
    const src = new DestroySource({ netns: parseNetnsSelector(netns.name) });
    src.refresh();
    const N = 25;
    const held = await heldChurn(netns.name, N, 100);
    const live = await liveCookies(netns.name);
    expect(live.size).to.equal(2 * N);
    await held.release();
    await settle();
    const closed = new Set((await collect(src)).filter((r) => r.dport !== 0).map((r) => r.cookie)); // not the listener
    src.close();
    expect([...closed].sort()).to.deep.equal([...live].sort());
  });

  it('a queue too small for the burst loses records and counts each one lost', async () => {
    const src = new DestroySource({ netns: parseNetnsSelector(netns.name), rcvbuf: 4096 });
    src.refresh();
    const N = 300;
    execFileSync('ip', ['netns', 'exec', netns.name, 'python3', CHURN, String(N)], { encoding: 'utf8' });
    await settle();
    const rows = await collect(src);
    const st = src.stats()[0]!.stats!;
    src.close();
    expect(rows.length).to.be.lessThan(2 * N + 1);
    expect(st.enobufs).to.be.greaterThan(0);
    // the socket's drop counter accounts for every message: read + dropped = every socket and the listener
    expect(st.dropped).to.be.greaterThan(0);
    expect(rows.length + st.dropped).to.equal(2 * N + 1);
  });
});
