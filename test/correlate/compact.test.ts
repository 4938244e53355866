// compactRows keeps the selected rows of every column, in order.
import { expect } from 'chai';
import { ColumnBatch } from '../../src/layout/batch';
import { compactRows } from '../../src/layout/compact';

describe('compactRows', () => {
  const specs = [
    { name: 'a', type: 'b16' as const, tcpiEnd: 0 },
    { name: 'b', type: 'u64' as const, tcpiEnd: 0 },
    { name: 'c', type: 'u16' as const, tcpiEnd: 0 },
  ];
  it('moves kept rows down in every column type and sets rows', () => {
    const b = new ColumnBatch(6, specs);
    b.rows = 6;
    for (let i = 0; i < 6; i++) {
      b.b16('a', i).fill(i + 1);
      b.u64('b')[i] = BigInt(i) << 40n;
      b.u16('c')[i] = 1000 + i;
    }
    expect(compactRows(b, Uint8Array.from([0, 1, 0, 1, 1, 0]))).to.equal(3);
    expect(b.rows).to.equal(3);
    expect([...b.u16('c').subarray(0, 3)]).to.deep.equal([1001, 1003, 1004]);
    expect([...b.u64('b').subarray(0, 3)]).to.deep.equal([1n << 40n, 3n << 40n, 4n << 40n]);
    expect([0, 1, 2].map((i) => b.b16('a', i)[15])).to.deep.equal([2, 4, 5]);
  });
  it('keeps everything or nothing', () => {
    const b = new ColumnBatch(3, specs);
    b.rows = 3;
    b.u16('c').set([7, 8, 9]);
    expect(compactRows(b, Uint8Array.from([1, 1, 1]))).to.equal(3);
    expect([...b.u16('c')]).to.deep.equal([7, 8, 9]);
    expect(compactRows(b, new Uint8Array(3))).to.equal(0);
  });
});
