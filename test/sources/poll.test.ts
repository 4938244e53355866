// PollSource across namespaces: discovery, dedupe, namespaces that come and
// go, and no fd leak when they go.
import { expect } from 'chai';
import * as fs from 'fs';
import { PollSource } from '../../src/sources/poll';
import { parseNetnsSelector } from '../../src/netns/select';
import { createNetns, deleteNetns, isRoot, startWorkload, type Workload } from '../helpers/netns';
import { skipIf } from '../helpers/skip';
import { scaled } from '../helpers/time_scale';

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;

describe('PollSource across namespaces', function () {
  this.timeout(scaled(60_000));
  const made: string[] = [];
  const loads: Workload[] = [];

  before(function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
  });

  after(async () => {
    for (const w of loads) await w.stop();
    for (const n of made) deleteNetns(n);
  });

  it('polls every namespace with --netns all, once each, and tags rows with it', async () => {
    const a = createNetns('srcA');
    made.push(a);
    const b = createNetns('srcB');
    made.push(b);
    loads.push(await startWorkload(a, { pairs: [{ family: 4 }, { family: 4 }] })); // 6 sockets
    loads.push(await startWorkload(b, { listeners: [{ family: 6 }] })); // 1 socket
    const src = new PollSource({ netns: parseNetnsSelector('all') });
    const perNs = new Map<string, number>();
    const inodes = new Set<bigint>();
    const r = await src.cycle((batch, ctx) => {
      perNs.set(ctx.ns.name, (perNs.get(ctx.ns.name) ?? 0) + batch.rows);
      for (let i = 0; i < batch.rows; i++) inodes.add(batch.u64('netns_inode')[i]!);
    });
    src.close();
    expect(perNs.get(a)).to.equal(6);
    expect(perNs.get(b)).to.equal(1);
    // our own namespace is polled too (it may hold no socket: a bare guest)
    expect(r.namespaces.some((n) => n.ns.name === 'host')).to.equal(true);
    // each namespace once, even though our own is also every process's /proc/PID/ns/net
    const names = r.namespaces.map((n) => n.ns.inode);
    expect(new Set(names).size).to.equal(names.length);
    expect(inodes.size).to.be.greaterThanOrEqual(2);
  });

  it('notices namespaces that appear and vanish, and closes their sockets (no fd leak)', async () => {
    // Other processes may add namespaces meanwhile: count fds per tracked namespace.
    const src = new PollSource({ netns: parseNetnsSelector('all') });
    const spare = (): number => fdCount() - src.stats().length; // one netlink socket each
    await src.cycle(() => undefined);
    const base = spare();
    const c = createNetns('srcC');
    made.push(c);
    const r1 = await src.cycle(() => undefined);
    expect(r1.added).to.be.greaterThanOrEqual(1);
    expect(r1.namespaces.some((n) => n.ns.name === c)).to.equal(true);
    expect(spare()).to.equal(base);
    deleteNetns(c);
    const r2 = await src.cycle(() => undefined);
    expect(r2.removed).to.be.greaterThanOrEqual(1);
    expect(r2.namespaces.some((n) => n.ns.name === c)).to.equal(false);
    expect(spare()).to.equal(base);
    src.close();
    src.close(); // idempotent
    expect(fdCount()).to.equal(base);
  });

  it('a selected namespace deleted mid-run is dropped, not fatal', async () => {
    const d = createNetns('srcD');
    made.push(d);
    const src = new PollSource({ netns: parseNetnsSelector(d) });
    const r1 = await src.cycle(() => undefined);
    expect(r1.namespaces).to.have.length(1);
    deleteNetns(d);
    const r2 = await src.cycle(() => undefined);
    expect(r2.namespaces).to.have.length(0);
    expect(r2.unreadable).to.equal(1);
    src.close();
  });

  it('the host selector needs no setns and sees our own sockets', async () => {
    const net = await import('net');
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((res) => server.once('listening', res));
    const port = (server.address() as { port: number }).port;
    const src = new PollSource({ netns: parseNetnsSelector('host'), states: 1 << 10 });
    let found = 0;
    await src.cycle((batch) => {
      const sport = batch.u16('sport');
      for (let i = 0; i < batch.rows; i++) if (sport[i] === port) found++;
    });
    src.close();
    server.close();
    expect(found).to.equal(1);
  });
});
