// The TS mirror of the samples view's layouts (src/layout/sample_columns.ts
// + placeColumns) against the addon's sampleLayout().
import { expectUniqueLargestFirst } from '../helpers/columns_h';
import { expect } from 'chai';
import { placeColumns, TYPE_WIDTH } from '../../src/layout/batch';
import { OWNER_COLUMNS, SAMPLE_COLUMNS, SampleBatch, OwnerBatch } from '../../src/layout/sample_columns';
import { samplerAddon } from '../../src/native/sampler';

const CAPACITIES = [0, 1, 3, 7, 13, 1000, 4097];
const TABLES = [
  ['tasks', SAMPLE_COLUMNS, SampleBatch],
  ['owners', OWNER_COLUMNS, OwnerBatch],
] as const;

describe('samples batch layouts: TS mirror vs native sampleLayout()', () => {
  for (const [pass, specs, Batch] of TABLES) {
    it(`${pass}: same columns, types, offsets and bytes at every capacity`, () => {
      for (const cap of CAPACITIES) {
        const n = samplerAddon().sampleLayout(pass, cap);
        const t = placeColumns(cap, specs);
        expect(
          t.columns.map((c) => [c.name, c.type, c.offset]),
          `capacity ${cap}`,
        ).to.deep.equal(n.columns.map((c) => [c.name, c.type, c.offset]));
        expect(t.bytes).to.equal(n.bytes);
        for (const c of n.columns) expect(c.offset % 8, c.name).to.equal(0);
      }
    });

    it(`${pass}: unique names, largest type first, and a batch views each column over its native region`, () => {
      expectUniqueLargestFirst(specs);
      const b = new Batch(13);
      const n = samplerAddon().sampleLayout(pass, 13);
      expect(b.buffer.byteLength).to.equal(n.bytes);
      for (const c of n.columns) {
        expect(b.views[c.name]!.byteOffset, c.name).to.equal(c.offset);
        expect(b.views[c.name]!.byteLength, c.name).to.equal(13 * TYPE_WIDTH[c.type]);
      }
    });
  }

  it('rejects an unknown pass name', () => {
    expect(() => samplerAddon().sampleLayout('nope' as 'tasks', 1)).to.throw(TypeError);
  });
});
