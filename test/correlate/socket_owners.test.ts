// SocketOwners: (netns, socket inode) -> owner in typed arrays, through growth and a new pass.
import { expect } from 'chai';
import { SocketOwners } from '../../src/correlate/socket_owners';

const A = 4026531840n,
  B = 4026532009n;
const halves = (ns: bigint): [number, number] => [Number(ns & 0xffffffffn), Number(ns >> 32n)];

describe('SocketOwners', () => {
  it('finds every socket of two namespaces past growth, the later set of a socket winning, and forgets them all in a new pass', () => {
    const o = new SocketOwners();
    for (let k = 0; k < 5000; k++) {
      o.set(...halves(A), 1000 + k, 10 + (k % 3), 10 + (k % 3), 'a', 7n);
      o.set(...halves(B), 1000 + k, 20, 20, 'b', 8n); // the same inode in another namespace
    }
    o.set(...halves(A), 1001, 99, 99, 'c', 9n); // the socket passed to another process
    expect(o.size).to.equal(10_000);
    expect(o.get(A, 1000)).to.deep.equal({ pid: 10, tgid: 10, comm: 'a', cgroup: 7n });
    expect(o.get(A, 1001)).to.deep.equal({ pid: 99, tgid: 99, comm: 'c', cgroup: 9n });
    expect(o.get(A, 5999)).to.deep.equal({ pid: 11, tgid: 11, comm: 'a', cgroup: 7n });
    expect(o.get(B, 5999)).to.deep.equal({ pid: 20, tgid: 20, comm: 'b', cgroup: 8n });
    expect(o.get(A, 6000)).to.equal(undefined);
    o.clear();
    expect(o.size).to.equal(0);
    expect(o.get(B, 1000)).to.equal(undefined);
    o.set(...halves(B), 1000, 30, 30, 'd', 0n);
    expect(o.get(B, 1000)).to.deep.equal({ pid: 30, tgid: 30, comm: 'd', cgroup: 0n });
  });
});
