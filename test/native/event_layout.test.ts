// The TS mirror of the events batch (src/layout/event_columns.ts) against
// the addon's eventLayout() (native/event_columns.h), and the kind and flag
// numbers against both C headers.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { placeColumns, TYPE_WIDTH } from '../../src/layout/batch';
import { EVENT_COLUMNS, EVENT_KINDS, EVF } from '../../src/layout/event_columns';
import { eventsAddon } from '../../src/native/events_addon';
import { EventBatch } from '../../src/sources/events';

const ROOT = path.resolve(__dirname, '../../..');

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
    const names = EVENT_COLUMNS.map((c) => c.name);
    expect(new Set(names).size).to.equal(names.length);
    const widths = EVENT_COLUMNS.map((c) => TYPE_WIDTH[c.type]);
    expect(widths).to.deep.equal([...widths].sort((a, b) => b - a));
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

  it('kind and flag numbers agree with native/event_columns.h and bpf/tcp_events.h', () => {
    const cols = fs.readFileSync(path.join(ROOT, 'native/event_columns.h'), 'utf8');
    const wire = fs.readFileSync(path.join(ROOT, 'bpf/tcp_events.h'), 'utf8');
    for (let k = 1; k < EVENT_KINDS.length; k++) {
      const name = EVENT_KINDS[k]!.toUpperCase();
      expect(new RegExp(`TL_EV_${name} = ${k},`).test(cols), `TL_EV_${name} = ${k}`).to.equal(true);
      expect(new RegExp(`#define TL_EVK_${name} ${k}\\b`).test(wire), `TL_EVK_${name} ${k}`).to.equal(true);
    }
    for (const [name, bit] of Object.entries(EVF)) {
      const hex = `0x${bit.toString(16).padStart(2, '0')}`;
      expect(new RegExp(`#define TL_EVF_${name}\\s+${hex}`).test(cols), `TL_EVF_${name}`).to.equal(true);
      expect(new RegExp(`#define TL_EVFL_${name} ${hex}`).test(wire), `TL_EVFL_${name}`).to.equal(true);
    }
  });
});
