// Per-namespace netlink counters live in each namespace's socket and vanish
// with it. NsFold turns them into monotonic totals: it remembers the last
// value per namespace inode and adds only the growth, so a namespace that
// goes away keeps its share in the total.
import { zeroNetlink, type NetlinkCounters } from './stages';

type Key = keyof NetlinkCounters;
const KEYS = Object.keys(zeroNetlink()) as Key[];

export class NsFold {
  readonly total: NetlinkCounters = zeroNetlink();
  private readonly last = new Map<number, NetlinkCounters>();

  /** `entries`: every namespace socket open now, with its cumulative counters. */
  fold(entries: Iterable<{ inode: number; counters: NetlinkCounters | null }>): void {
    const seen = new Set<number>();
    for (const { inode, counters } of entries) {
      if (!counters) continue;
      seen.add(inode);
      const prev = this.last.get(inode);
      for (const k of KEYS) {
        const d = prev ? counters[k] - prev[k] : counters[k];
        // a smaller value means a new socket for a reused inode: all of it is new
        this.total[k] += d >= 0 ? d : counters[k];
      }
      this.last.set(inode, { ...counters });
    }
    for (const inode of this.last.keys()) if (!seen.has(inode)) this.last.delete(inode);
  }
}

/** Native per-socket stats (DumpStats, DestroyStats) -> NetlinkCounters. */
export function netlinkOf(s: Partial<Record<Key | 'errors', number>>): NetlinkCounters {
  const c = zeroNetlink();
  for (const k of KEYS) c[k] = s[k] ?? 0;
  c.nlErrors += s.errors ?? 0; // DestroyStats names it errors
  return c;
}
