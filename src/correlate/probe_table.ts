// Open-addressing tables of small non-negative numbers (slots, ring
// positions): an Int32Array of value + 1 (0: empty), linear probing, removal
// by backward shift. flow_index.ts and recent_cookies.ts keep their keys in
// columns of their own and hash them through `hashOf`.

/** A hash of a (namespace id, cookie halves) key. */
export function mix(ns: number, lo: number, hi: number): number {
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ hi, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ns, 0x27d4eb2d);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Puts v in t, from its home h. */
export function probeInsert(t: Int32Array, mask: number, h: number, v: number): void {
  let i = h & mask;
  while (t[i] !== 0) i = (i + 1) & mask;
  t[i] = v + 1;
}

/** Takes v out of t; each later entry of its run that may move up does.
 * Returns false when v was not there. */
export function probeRemove(t: Int32Array, mask: number, v: number, hashOf: (v: number) => number): boolean {
  let i = hashOf(v) & mask;
  while (t[i] !== v + 1) {
    if (t[i] === 0) return false;
    i = (i + 1) & mask;
  }
  for (let j = (i + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
    const k = hashOf(t[j]! - 1) & mask;
    const stays = i <= j ? i < k && k <= j : i < k || k <= j;
    if (stays) continue;
    t[i] = t[j]!;
    i = j;
  }
  t[i] = 0;
  return true;
}
