// Every view's contract has one source: the column X-macros in native/ and the
// kinds and flags of the wire headers in bpf/. The TypeScript face of each
// (src/layout/{poll,event,sample}_columns.ts) is generated from the built
// addon by scripts/gen-layout.js; this checks the checked-in files are what it
// writes now, and that nothing else restates a kind or a flag.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { addon } from '../../src/native/addon';
import { EVENT_KINDS, EV_KIND, EVF } from '../../src/layout/event_columns';
import { SMF } from '../../src/layout/sample_columns';
import { FLOW_KINDS } from '../../src/sources/events';

const ROOT = path.resolve(__dirname, '../../..');

const { render } = require(path.join(ROOT, 'scripts/gen-layout.js')) as { render(a: unknown): Record<string, string> };

describe('view contracts: generated from the native and wire headers', () => {
  it('src/layout/*_columns.ts are what scripts/gen-layout.js writes from this addon (npm run gen:layout)', () => {
    const files = render(addon());
    expect(Object.keys(files)).to.have.length(3);
    for (const [file, text] of Object.entries(files)) {
      expect(fs.readFileSync(path.join(ROOT, file), 'utf8'), `${file} is stale: npm run build:native && npm run gen:layout`).to.equal(text);
    }
  });

  it('kinds and flags read as the kernel side writes them', () => {
    expect(EVENT_KINDS.indexOf('reset_received')).to.equal(EV_KIND.RESET_RECEIVED);
    expect(EVF.NOCOOKIE).to.be.greaterThan(0);
    expect(SMF.SOCKET).to.be.greaterThan(0);
    // the flow table's kinds: every kind but other state changes
    expect(FLOW_KINDS).to.equal(EVENT_KINDS.slice(1).reduce((m, k, i) => (k === 'state' ? m : m | (1 << (i + 1))), 0));
  });

  it('no TypeScript outside the generated files restates a kind or flag value', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !/_columns\.ts$/.test(p)) {
          const text = fs.readFileSync(p, 'utf8');
          if (/\b(TL_)?(EVF|SMF|EV)_[A-Z_]+\s*=\s*(0x)?\d/.test(text) || /\bFLOW_KINDS\s*=\s*0x/.test(text))
            offenders.push(path.relative(ROOT, p));
        }
      }
    };
    walk(path.join(ROOT, 'src'));
    expect(offenders).to.deep.equal([]);
  });
});
