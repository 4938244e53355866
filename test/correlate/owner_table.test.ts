// OwnerTable: each (pid, tgid, comm, cgroup) once, held by a count of flows.
import { expect } from 'chai';
import { OwnerTable } from '../../src/correlate/owner_table';
import { Flow } from '../../src/correlate/flow';
import { FlowStore } from '../../src/correlate/flow_store';

describe('OwnerTable', () => {
  it('shares one id between the flows of one owner and frees it with the last', () => {
    const o = new OwnerTable();
    expect(o.ref(0, 0, 0, 0n)).to.equal(0); // no owner: id 0, nothing held
    const a = o.ref(10, 10, 1, 7n);
    expect(o.ref(10, 10, 1, 7n)).to.equal(a);
    const b = o.ref(10, 11, 1, 7n);
    expect(b).to.not.equal(a);
    expect([o.pid[b], o.tgid[b], o.comm[b], o.cgroup[b]]).to.deep.equal([10, 11, 1, 7n]);
    o.unref(a);
    expect(o.size).to.equal(2);
    o.unref(a);
    expect(o.size).to.equal(1);
    expect(o.pid[a]).to.equal(0);
    expect(o.ref(20, 20, 2, 0n)).to.equal(a); // the freed id is reused
    for (let k = 0; k < 200; k++) o.ref(1000 + k, 1000 + k, 0, 0n); // grows past its first 64
    expect(o.size).to.equal(202);
    expect(o.pid[b]).to.equal(10);
  });

  it('gives flows their owner fields, each settable alone, and lets go when they leave', () => {
    const store = new FlowStore(4);
    const f = new Flow(store, store.alloc(1n, 5n, 2, '10.0.0.1', 1000, '10.0.0.2', 80));
    const g = new Flow(store, store.alloc(1n, 6n, 2, '10.0.0.1', 1001, '10.0.0.2', 80));
    f.owner(42, 40, 'curl', 9n);
    g.owner(42, 40, 'curl', 9n);
    expect([f.pid, f.tgid, f.comm, f.cgroup_id]).to.deep.equal([42, 40, 'curl', 9n]);
    expect(store.owners.size).to.equal(1);
    g.owner(43, 40, '', 0n); // no comm, no cgroup: the ones it had stay
    expect([g.pid, g.tgid, g.comm, g.cgroup_id]).to.deep.equal([43, 40, 'curl', 9n]);
    g.comm = 'wget';
    expect([g.pid, g.comm, f.comm]).to.deep.equal([43, 'wget', 'curl']);
    expect(store.owners.size).to.equal(2);
    store.release(g.i);
    store.release(f.i);
    expect(store.owners.size).to.equal(0);
  });
});
