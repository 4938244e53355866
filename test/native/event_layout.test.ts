// The TS mirror of the events batch (src/layout/event_columns.ts) against
// the addon's eventLayout() (native/event_columns.h).
import { expectUniqueLargestFirst } from '../helpers/columns_h';
import { expect } from 'chai';
import { placeColumns, TYPE_WIDTH } from '../../src/layout/batch';
import { EVENT_COLUMNS } from '../../src/layout/event_columns';
import { eventsAddon } from '../../src/native/events_addon';
import { EventBatch } from '../../src/layout/event_columns';

describe('events batch layout: TS mirror vs native eventLayout()', () => {
  for (const cap of [0, 1, 3, 7, 8, 13, 1024, 4097]) {
    it(`capacity ${cap}: same columns, types, offsets and total bytes`, () => {
      const n = eventsAddon().eventLayout(cap);
      const t = placeColumns(cap, EVENT_COLUMNS);
      expect(t.columns.map((c) => [c.name, c.type, c.offset])).to.deep.equal(n.columns.map((c) => [c.name, c.type, c.offset]));
      expect(t.bytes).to.equal(n.bytes);
    });
  }

  it('columns are unique and go largest type first', () => {
    expectUniqueLargestFirst(EVENT_COLUMNS);
  });

  it('an EventBatch views every column over its native region', () => {
    const b = new EventBatch(13);
    const n = eventsAddon().eventLayout(13);
    expect(b.buffer.byteLength).to.equal(n.bytes);
    for (const c of n.columns) {
      expect(b.views[c.name]!.byteOffset, c.name).to.equal(c.offset);
      expect(b.views[c.name]!.byteLength, c.name).to.equal(13 * TYPE_WIDTH[c.type]);
    }
  });
});
