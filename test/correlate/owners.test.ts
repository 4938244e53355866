// The socket-inode -> process map (iter/task_file passes) as the flow table
// keeps it: a pass replaces the last one; a finished flow without an owner
// from the events view takes its socket's.
import { expect } from 'chai';
import { FlowTable } from '../../src/correlate/flow_table';
import { OwnerBatch } from '../../src/layout/sample_columns';
import { PollBatch } from '../../src/layout/batch';

const NS = 4026532009n;

function owners(rows: Array<{ ino: number; pid: number; comm: number; cg?: bigint }>): OwnerBatch {
  const b = new OwnerBatch(rows.length);
  rows.forEach((r, i) => {
    b.u64('netns_inode')[i] = NS;
    b.u32('idiag_inode')[i] = r.ino;
    b.u32('pid')[i] = r.pid;
    b.u32('tgid')[i] = r.pid;
    b.u32('comm')[i] = r.comm;
    b.u64('cgroup_id')[i] = r.cg ?? 77n;
  });
  b.rows = rows.length;
  return b;
}

/** established IPv4 sockets with these inodes, cookies 1.. */
function poll(inodes: number[], ts: bigint): PollBatch {
  const b = new PollBatch(inodes.length);
  inodes.forEach((ino, i) => {
    b.u8('idiag_family')[i] = 2;
    b.u8('idiag_state')[i] = 1;
    b.u16('sport')[i] = 40000 + i;
    b.u16('dport')[i] = 80;
    b.u64('idiag_cookie')[i] = BigInt(i + 1);
    b.u32('idiag_inode')[i] = ino;
    b.u64('ts_ns')[i] = ts;
  });
  b.rows = inodes.length;
  return b;
}

describe('FlowTable: socket owners', () => {
  it('finished flows take the owner of their socket inode from the latest pass', () => {
    const t = new FlowTable({ closeGraceMs: 0, now: () => 0 });
    const names = ['nginx', 'curl'];
    t.setOwners(
      owners([
        { ino: 501, pid: 10, comm: 1 },
        { ino: 502, pid: 10, comm: 1 },
        { ino: 503, pid: 20, comm: 2, cg: 9n },
      ]),
      names,
      true,
    );
    // a new pass replaces the old one: 502 moved to pid 30 (same comm id, new process)
    t.setOwners(
      owners([
        { ino: 501, pid: 10, comm: 1 },
        { ino: 502, pid: 30, comm: 1 },
        { ino: 503, pid: 20, comm: 2, cg: 9n },
      ]),
      names,
      true,
    );
    t.beginCycle(NS);
    t.observePoll(poll([501, 502, 503, 504], 1_000n), NS);
    t.endCycle(NS);
    t.beginCycle(NS);
    t.observePoll(poll([], 2_000n), NS);
    t.endCycle(NS); // all four gone from a complete poll: closed
    const rows = t.collect().sort((a, b) => Number(a.idiag_cookie - b.idiag_cookie));
    expect(rows.map((r) => [r.pid, r.tgid, r.comm, r.cgroup_id])).to.deep.equal([
      [10, 10, 'nginx', 77n],
      [30, 30, 'nginx', 77n],
      [20, 20, 'curl', 9n],
      [0, 0, '', 0n],
    ]);
  });
});
