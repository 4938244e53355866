// The samples reader (native/sampler.c) over crafted iterator output: whole
// records become rows, bad headers and a truncated tail are counted and
// skipped (never a crash), and a batch too small continues into the next.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { samplerAddon } from '../../src/native/sampler';
import { SampleBatch, OwnerBatch } from '../../src/layout/sample_columns';
import { sampleToRecord, ownerToRecord, type SampleRecord } from '../../src/format/sample_record';
import type { ColumnBatch } from '../../src/layout/batch';

const TASK_SIZE = 104,
  OWNER_SIZE = 64;

/** struct tl_task_rec (bpf/task_sampler.h), little-endian as on x86/arm64. */
function taskRec(pid: number, comm: string, sport: number): Buffer {
  const b = Buffer.alloc(TASK_SIZE);
  b.writeBigUInt64LE(1000n + BigInt(pid), 0); // cookie
  b.writeBigUInt64LE(4026531840n, 8); // netns_inode
  b.writeBigUInt64LE(77n, 16); // cgroup_id
  b.set([127, 0, 0, 1], 24);
  b.set([127, 0, 0, 2], 40);
  b.write(comm, 56, 'latin1');
  b.writeUInt16LE(0x5431, 72);
  b.writeUInt16LE(TASK_SIZE, 74);
  b.writeUInt32LE(pid, 76);
  b.writeUInt32LE(pid - (pid % 10), 80);
  b.writeUInt32LE(1, 84);
  b.writeUInt32LE(45, 88);
  b.writeUInt32LE(500 + pid, 92);
  b.writeUInt16LE(sport, 96);
  b.writeUInt16LE(80, 98);
  b[100] = 2;
  b[101] = 1;
  b[102] = 0x0c;
  return b;
}

function ownerRec(tgid: number, ino: number): Buffer {
  const b = Buffer.alloc(OWNER_SIZE);
  b.writeBigUInt64LE(9n, 0);
  b.writeBigUInt64LE(1n, 8);
  b.writeBigUInt64LE(2n, 16);
  b.write('owner', 24, 'latin1');
  b.writeUInt16LE(0x4f31, 40);
  b.writeUInt16LE(OWNER_SIZE, 42);
  b.writeUInt32LE(ino, 44);
  b.writeUInt32LE(tgid, 48);
  b.writeUInt32LE(tgid, 52);
  b.writeUInt32LE(3, 56);
  return b;
}

describe('samples reader over crafted iterator output', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-sreplay-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function replay(pass: 'tasks' | 'owners', bytes: Buffer, capacity: number) {
    const file = path.join(dir, `${pass}-${capacity}-${bytes.length}.bin`);
    fs.writeFileSync(file, bytes);
    const s = new (samplerAddon().Sampler)({ replay: true });
    const batch: ColumnBatch = pass === 'tasks' ? new SampleBatch(capacity) : new OwnerBatch(capacity);
    const names: string[] = [];
    const rows: SampleRecord[] = [];
    let fills = 0;
    s.beginFile(pass, file);
    for (;;) {
      const r = await s.fill(batch.buffer, batch.capacity);
      names.push(...r.names);
      fills++;
      for (let i = 0; i < r.rows; i++) {
        rows.push(pass === 'tasks' ? sampleToRecord(batch as SampleBatch, i, names) : ownerToRecord(batch as OwnerBatch, i, names));
      }
      if (r.done) break;
    }
    const st = s.stats();
    s.close();
    return { rows, st, fills, names };
  }

  it('whole task records become rows with every field in place; comm is dictionary-encoded', async () => {
    const { rows, st, names } = await replay(
      'tasks',
      Buffer.concat([taskRec(11, 'alpha', 4000), taskRec(12, 'beta', 4001), taskRec(13, 'alpha', 4002)]),
      16,
    );
    expect(
      rows.map((r) => [r.pid, r.tgid, r.comm, r.sport, r.dport, r.src, r.dst, r.idiag_cookie, r.idiag_inode, r.task_state]),
    ).to.deep.equal([
      [11, 10, 'alpha', 4000, 80, '127.0.0.1', '127.0.0.2', '1011', 511, 'S'],
      [12, 10, 'beta', 4001, 80, '127.0.0.1', '127.0.0.2', '1012', 512, 'S'],
      [13, 10, 'alpha', 4002, 80, '127.0.0.1', '127.0.0.2', '1013', 513, 'S'],
    ]);
    expect(names).to.deep.equal(['alpha', 'beta']);
    expect([st.records, st.malformed, st.bytes]).to.deep.equal([3, 0, 3 * TASK_SIZE]);
  });

  it('a record with a bad kind or size is counted once and skipped; the reader resynchronises', async () => {
    const bad = taskRec(21, 'bad', 1);
    bad.writeUInt16LE(0xdead, 72);
    const wrongSize = taskRec(22, 'bad', 1);
    wrongSize.writeUInt16LE(96, 74);
    const { rows, st } = await replay(
      'tasks',
      Buffer.concat([taskRec(20, 'ok', 1), bad, taskRec(23, 'ok', 1), wrongSize, taskRec(24, 'ok', 1)]),
      16,
    );
    expect(rows.map((r) => r.pid)).to.deep.equal([20, 23, 24]);
    expect(st.malformed).to.equal(2);
  });

  it('a truncated record at the end is counted, not read', async () => {
    const { rows, st } = await replay('tasks', Buffer.concat([taskRec(30, 'ok', 1), taskRec(31, 'ok', 1).subarray(0, 50)]), 16);
    expect(rows.map((r) => r.pid)).to.deep.equal([30]);
    expect(st.malformed).to.equal(1);
  });

  it('garbage only: no rows, counted, no crash', async () => {
    const junk = Buffer.alloc(4096, 0xa5);
    const { rows, st } = await replay('tasks', junk, 16);
    expect(rows).to.have.length(0);
    expect(st.malformed).to.be.at.least(1);
    expect(st.records).to.equal(0);
  });

  it('a batch smaller than the pass: continues into further batches, nothing dropped', async () => {
    const recs = Array.from({ length: 25 }, (_, i) => taskRec(100 + i, `c${i % 3}`, 5000 + i));
    const { rows, st, fills } = await replay('tasks', Buffer.concat(recs), 4);
    expect(rows.map((r) => r.pid)).to.deep.equal(recs.map((_, i) => 100 + i));
    expect(fills).to.equal(7); // 6 full batches of 4, then 1 row
    expect(st.carried).to.be.at.least(6);
    expect(st.dropped).to.equal(0);
  });

  it('the comm dictionary holds 65535 names; past that the column is 0 and counted, never a crash', async () => {
    const n = 65535 + 3;
    const recs = Array.from({ length: n }, (_, i) => taskRec(1000 + i, `n${i}`, 1));
    recs.push(taskRec(9, 'n7', 1)); // a name already known still resolves once the dictionary is full
    const { rows, st, names } = await replay('tasks', Buffer.concat(recs), 4096);
    expect(rows).to.have.length(n + 1);
    expect(names).to.have.length(65535);
    expect(rows[65534]!.comm).to.equal('n65534');
    expect(rows.slice(65535).map((r) => r.comm)).to.deep.equal(['?', '?', '?', 'n7']);
    expect(st.commOverflow).to.equal(3);
  });

  it('owner records map inode -> tgid, fd, comm; a task record in an owners pass is malformed', async () => {
    const { rows, st } = await replay('owners', Buffer.concat([ownerRec(7, 70), ownerRec(8, 80)]), 8);
    expect(rows.map((r) => [r.tgid, r.idiag_inode, r.fd, r.comm])).to.deep.equal([
      [7, 70, 3, 'owner'],
      [8, 80, 3, 'owner'],
    ]);
    expect(st.malformed).to.equal(0);
    const mixed = await replay('owners', Buffer.concat([ownerRec(7, 70), taskRec(1, 'x', 1), ownerRec(9, 90)]), 8);
    expect(mixed.rows.map((r) => r.tgid)).to.deep.equal([7, 9]);
    expect(mixed.st.malformed).to.equal(1);
  });
});
