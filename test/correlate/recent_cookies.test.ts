// RecentCookies: written flows' (netns id, cookie) keys, held for a fixed time, in a ring.
import { expect } from 'chai';
import { RecentCookies } from '../../src/correlate/recent_cookies';

describe('RecentCookies', () => {
  it('holds a key for its time, per namespace id, and no longer', () => {
    let now = 1000;
    const r = new RecentCookies(60_000, () => now);
    r.add(1, 42n);
    r.add(2, (7n << 32n) | 42n);
    expect(r.has(1, 42n)).to.equal(true);
    expect(r.has(2, 42n)).to.equal(false); // another namespace, and another high half
    expect(r.has(2, (7n << 32n) | 42n)).to.equal(true);
    expect(r.has(1, 43n)).to.equal(false);
    now += 59_999;
    expect(r.has(1, 42n)).to.equal(true);
    now += 1;
    expect(r.has(1, 42n)).to.equal(false);
    expect(r.size).to.equal(0);
  });

  it('grows past its ring through a burst, finds every key, and shrinks once they expire', () => {
    let now = 0;
    const r = new RecentCookies(60_000, () => now, 1024);
    const n = 50_000;
    for (let k = 0; k < n; k++) {
      now = k / 1000; // 50 s of writes
      r.add(k % 3, BigInt(1_000_000 + k) | (BigInt(k & 0xff) << 40n));
    }
    expect(r.size).to.equal(n);
    let found = 0;
    for (let k = 0; k < n; k++) if (r.has(k % 3, BigInt(1_000_000 + k) | (BigInt(k & 0xff) << 40n))) found++;
    expect(found).to.equal(n);
    expect(r.has(1, 1_000_000n)).to.equal(false); // key 0 was namespace 0
    now = 60_000 + 25; // the first 25,001 expired
    expect(r.has(0, 1_000_000n)).to.equal(false);
    expect(r.size).to.equal(n - 25_001);
    expect(r.has((n - 1) % 3, BigInt(1_000_000 + n - 1) | (BigInt((n - 1) & 0xff) << 40n))).to.equal(true);
    now = 200_000;
    r.add(0, 1n); // every other key expired: the ring shrank back
    expect(r.size).to.equal(1);
    expect((r as unknown as { ns: Uint32Array }).ns.length).to.be.at.most(4096);
    expect(r.has(0, 1n)).to.equal(true);
  });

  it('keeps a key added twice until the later time', () => {
    let now = 0;
    const r = new RecentCookies(100, () => now);
    r.add(0, 5n);
    now = 50;
    r.add(0, 5n);
    now = 120; // the first expired, the second holds
    expect(r.has(0, 5n)).to.equal(true);
    now = 150;
    expect(r.has(0, 5n)).to.equal(false);
  });
});
