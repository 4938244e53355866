// Staging: chunks are transient views (of the batch, of scratch space); the
// stage's copy is what gets sent, from pooled buffers reused batch after batch.
import { expect } from 'chai';
import { PollBatch } from '../../../src/layout/batch';
import { LEGACY } from '../../../src/sinks/clickhouse/dialect';
import { encodeSnapshots } from '../../../src/sinks/clickhouse/encoders';
import { concatParts, decodeBlocks } from '../../../src/sinks/clickhouse/native_format';
import { StagePool, TableStage } from '../../../src/sinks/clickhouse/stage';

const TS = 1_700_000_000_123_456_789n;
const ID = [{ name: 'tl_batch', type: 'UInt64', value: new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]) }];

/** `rows` IPv4 rows whose cookie and bytes_acked are base+i */
function batch(rows: number, base: number): PollBatch {
  const b = new PollBatch(rows);
  b.rows = rows;
  for (let i = 0; i < rows; i++) {
    b.u64('ts_ns')[i] = TS;
    b.u8('idiag_family')[i] = 2;
    b.b16('src', i).set([10, 0, 0, base & 0xff]);
    b.u16('cong')[i] = 1;
    b.u64('idiag_cookie')[i] = BigInt(base + i);
    b.u64('tcpi_bytes_acked')[i] = 2n ** 60n + BigInt(base + i);
  }
  return b;
}

describe('TableStage (column-major staging of transient chunks)', () => {
  it('a sealed block owns its bytes: refilling the batch and encoding others after append change nothing in it', () => {
    const pool = new StagePool();
    const st = new TableStage('tcp_snapshots', pool);
    const b = batch(3, 100);
    st.append(encodeSnapshots(b, { names: ['cubic'] }, 'h1', LEGACY));
    // the same batch refilled, and encoded again (the scratch space is reused)
    new Uint8Array(b.buffer).fill(0xee);
    new TableStage('tcp_snapshots', pool).append(encodeSnapshots(batch(3, 200), { names: ['bbr'] }, 'other-host', LEGACY));
    const s = st.seal(ID);
    const rows = decodeBlocks(concatParts(s.parts));
    expect(rows.map((r) => r['idiag_cookie'])).to.deep.equal([100n, 101n, 102n]);
    expect(rows.map((r) => r['tcpi_bytes_acked'])).to.deep.equal([2n ** 60n + 100n, 2n ** 60n + 101n, 2n ** 60n + 102n]);
    expect(rows.every((r) => r['host'] === 'h1' && r['cong'] === 'cubic' && r['view'] === 'poll')).to.equal(true);
    expect(rows.every((r) => r['ts'] === Number(TS / 1_000_000_000n))).to.equal(true);
    expect(Buffer.from(rows[0]!['src'] as Uint8Array).toString('hex')).to.equal('00000000000000000000ffff0a000064'); // ::ffff:10.0.0.100
    expect(rows.every((r) => r['tl_batch'] === 7n)).to.equal(true);
    expect(s.columns.at(-1)).to.equal('tl_batch');
    expect(s.rows).to.equal(3);
    expect(s.bytes).to.equal(s.parts.reduce((n, p) => n + p.length, 0));
  });

  it('chunks of one table stage into one block, in order; the stage is empty after seal', () => {
    const st = new TableStage('tcp_snapshots', new StagePool());
    st.append(encodeSnapshots(batch(2, 10), { names: ['cubic'] }, 'h', LEGACY));
    st.append(encodeSnapshots(batch(3, 20), { names: ['cubic'] }, 'h', LEGACY));
    expect(st.rows).to.equal(5);
    const rows = decodeBlocks(concatParts(st.seal(ID).parts));
    expect(rows.map((r) => r['idiag_cookie'])).to.deep.equal([10n, 11n, 20n, 21n, 22n]);
    expect([st.rows, st.bytes]).to.deep.equal([0, 0]);
  });

  it("a released block's buffers carry the next block: nothing is allocated per batch once warm", () => {
    const pool = new StagePool();
    const st = new TableStage('tcp_snapshots', pool);
    st.append(encodeSnapshots(batch(64, 0), { names: ['cubic'] }, 'h', LEGACY));
    const first = st.seal(ID);
    const memory = first.parts.slice(1).map((p) => p.buffer);
    first.release();
    first.release(); // idempotent: the set is in the pool once
    expect(pool.bytes).to.be.greaterThan(0);
    st.append(encodeSnapshots(batch(64, 1000), { names: ['cubic'] }, 'h', LEGACY));
    const second = st.seal(ID);
    expect(second.parts.slice(1).map((p) => p.buffer)).to.deep.equal(memory);
    expect(decodeBlocks(concatParts(second.parts))[0]!['idiag_cookie']).to.equal(1000n);
    // not released: a third block gets buffers of its own
    st.append(encodeSnapshots(batch(64, 2000), { names: ['cubic'] }, 'h', LEGACY));
    const third = st.seal(ID);
    expect(third.parts[1]!.buffer).to.not.equal(second.parts[1]!.buffer);
    expect(decodeBlocks(concatParts(second.parts))[0]!['idiag_cookie']).to.equal(1000n);
  });

  it("a table's new set starts at its last batch's column sizes (+1/8): no doubling, no copy", () => {
    const st = new TableStage('tcp_snapshots', new StagePool(0)); // keeps nothing
    st.append(encodeSnapshots(batch(2000, 0), { names: ['cubic'] }, 'h', LEGACY));
    const first = st.seal(ID);
    const lens = first.parts.slice(1, -1).map((p) => p.length);
    first.release();
    st.append(encodeSnapshots(batch(2000, 5000), { names: ['cubic'] }, 'h', LEGACY));
    const second = st.seal(ID);
    // fresh buffers (nothing was kept), each as large as its column was, with 1/8 to spare
    const caps = second.parts.slice(1, -1).map((p) => p.buffer.byteLength);
    caps.forEach((c, k) => expect(c, `column ${k}`).to.equal(Math.max(4096, lens[k]! + (lens[k]! >> 3))));
    expect(decodeBlocks(concatParts(second.parts))[0]!['idiag_cookie']).to.equal(5000n);
  });

  it('a chunk with other columns than the staged ones is refused', () => {
    const st = new TableStage('tcp_snapshots', new StagePool());
    const c = encodeSnapshots(batch(1, 0), { names: ['cubic'] }, 'h', LEGACY);
    st.append(c);
    expect(() => st.append({ ...c, columns: c.columns.slice(1) })).to.throw(/columns differ/);
  });
});
