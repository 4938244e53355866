// The batcher's age limit with jitter: a batch is due maxAge + U(0, jitter)
// after its first row, drawn per batch, so hosts do not flush in step.
import { expect } from 'chai';
import { Batcher } from '../../../src/sinks/clickhouse/batcher';
import { constU64Column } from '../../../src/sinks/clickhouse/native_format';

const chunk = (table: string): Parameters<Batcher['add']>[0] => ({
  table,
  rows: 1,
  columns: [constU64Column('x', 1n, 1)],
  minTs: 0,
  maxTs: 0,
});

describe('Batcher (flush period and jitter)', () => {
  it('a batch is due after maxAge plus its own share of the jitter, not before', async () => {
    const draws = [0, 1];
    const b = new Batcher({ maxRows: 1000, maxBytes: 1 << 20, maxAgeMs: 40, jitterMs: 200 }, () => draws.shift() ?? 0);
    b.add(chunk('a')); // due at +40 ms (draw 0)
    b.add(chunk('b')); // due at +240 ms (draw 1)
    b.add(chunk('a')); // same batch: no new draw
    expect(b.due().map((s) => s.table)).to.deep.equal([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(b.due().map((s) => s.table)).to.deep.equal(['a']);
    expect(b.due(true).map((s) => s.table)).to.deep.equal(['a', 'b']);
    await new Promise((r) => setTimeout(r, 200));
    expect(b.due().map((s) => s.table)).to.deep.equal(['a', 'b']);
  });

  it('without jitter every batch is due after exactly maxAge; full by rows at once', () => {
    const b = new Batcher({ maxRows: 2, maxBytes: 1 << 20, maxAgeMs: 60_000 });
    expect(b.add(chunk('a'))).to.equal(null);
    expect(b.add(chunk('a'))?.table).to.equal('a');
    expect(b.due()).to.deep.equal([]);
  });
});
