// The poll's exact-match mode. A dump walks the host's whole established
// hash (262,144 buckets: ~3 ms on this machine, bench/ehash) whatever the
// namespace holds; a namespace whose sockets the poll already knows is asked
// for them one by one instead (native/diag_lookup.c: one hash lookup each,
// no walk). Known: the sockets of its last full dump, every socket the
// events view saw open since, and nothing else can have appeared while the
// events lost nothing. A full dump comes every LOOKUP_FULL_EVERY cycles, for
// what events cannot see (a socket stuck in SYN_SENT, a request socket), and
// whenever the events cannot vouch for the known set (off, lost records, an
// open they could not key); and for a namespace whose lookups would take
// longer than its last dump did (its own small established hash, or many
// sockets: bench/poll_lookup), or that holds over LOOKUP_MAX_SOCKETS.
import type { ColumnBatch } from '../layout/batch';
import type { PollBatch } from '../layout/batch';
import { compactRows } from '../layout/compact';
import type { NetnsInfo } from '../netns/discover';
import { diagLookupClass, putLookupReq, LOOKUP_REQ_BYTES, type DiagLookup } from '../native/lookup_addon';
import type { DumpStats } from '../native/addon';
import { EV_KIND, EVF } from '../layout/event_columns';
import { TCP_STATES } from '../format/tcp_states';

/** a namespace polled by lookups gets a full dump at least every this many cycles
 * (5 minutes at the default --interval: a dump of a small namespace costs the
 * host's walk, 3-50 ms on this machine, bench/poll_lookup) */
export const LOOKUP_FULL_EVERY = 30;
/** sockets per namespace above which it is always dumped (the known set's memory and upkeep) */
export const LOOKUP_MAX_SOCKETS = 4096;
/** a lookup's cost per socket until a round measured it: ~3.4 µs of CPU (bench/poll_lookup) */
const LOOKUP_MS_PER_SOCKET = 0.004;

const LISTEN = TCP_STATES.indexOf('LISTEN');

/** why a namespace's cycle was a dump (the metric's label) */
export type DumpReason = 'first' | 'due' | 'events' | 'unkeyed' | 'size' | 'failed';
export const DUMP_REASONS: readonly DumpReason[] = ['first', 'due', 'events', 'unkeyed', 'size', 'failed'];

/** What the events view tells the poll (set on the event tap by the events view). */
export interface EventsHealth {
  /** the events view runs with its open events (the state part) */
  readonly opens: boolean;
  /** records it lost so far (ring reserve failures) */
  lost(): number;
  /** it traces namespace inode */
  traces(inode: number): boolean;
}

/** One namespace's known sockets and its lookup socket. */
class NsKnown {
  /** key (cookie, or the tuple of a cookieless open) -> request bytes */
  readonly reqs = new Map<string, Uint8Array>();
  /** every socket since the last complete dump is in reqs (else: dump next) */
  valid = false;
  /** a full dump is under way: opens read now are kept too (the walk may
   * have passed their bucket before they were made) */
  dumping = false;
  unkeyed = false;
  /** the last lookup round or dump failed */
  failed = false;
  oversize = false;
  /** rows of the dump under way, counted instead of learnt while the last dump was oversize */
  dumpRows = 0;
  sinceFull = 0;
  /** wall ms of its last complete dump, and of its last lookup round per socket asked */
  dumpMs = 0;
  lookupMsPerSocket = LOOKUP_MS_PER_SOCKET;
  lostAtFull = 0;
  sock: DiagLookup | null = null;
  readonly names: string[] = [];
  close(): void {
    this.sock?.close();
    this.sock = null;
  }
}

const scratch = new DataView(new ArrayBuffer(LOOKUP_REQ_BYTES));
function reqBytes(r: { src: Uint8Array; dst: Uint8Array; cookie: bigint; sport: number; dport: number; family: number }): Uint8Array {
  putLookupReq(scratch, 0, r);
  return new Uint8Array(scratch.buffer.slice(0));
}
const tupleKey = (b: ColumnBatch, i: number): string =>
  `t${b.u8('idiag_family')[i]}:${Buffer.from(b.b16('src', i)).toString('hex')}:${b.u16('sport')[i]}:${Buffer.from(b.b16('dst', i)).toString('hex')}:${b.u16('dport')[i]}`;

export interface LookupCycle {
  rows: number;
  batches: number;
  /** 0, or the errno of a failed request round (the cycle proves nothing then) */
  errno: number;
  code?: string;
}

export class ExactPoll {
  private readonly ns = new Map<number, NsKnown>();
  private readonly reqs: ArrayBuffer;
  /** lookups asked, answered with a live row, found gone */
  readonly counts = { requested: 0, answered: 0, gone: 0 };

  constructor(
    private readonly events: EventsHealth | null,
    private readonly fullEvery = LOOKUP_FULL_EVERY,
    private readonly maxSockets = LOOKUP_MAX_SOCKETS,
    capacity = 512,
    /** false: ask by lookups whatever they cost against a dump (tests of the lookups themselves) */
    private readonly weighCost = true,
  ) {
    this.reqs = new ArrayBuffer(capacity * LOOKUP_REQ_BYTES);
  }

  private of(inode: number): NsKnown {
    let k = this.ns.get(inode);
    if (!k) this.ns.set(inode, (k = new NsKnown()));
    return k;
  }

  /** null: this namespace's next cycle may be lookups; else why it must be a dump. */
  dumpReason(inode: number): DumpReason | null {
    if (!this.vouches(inode)) return 'events';
    const k = this.ns.get(inode);
    if (!k) return 'first';
    if (k.failed) return 'failed';
    if (!k.valid) return 'first';
    if (k.oversize || (this.weighCost && k.reqs.size * k.lookupMsPerSocket > k.dumpMs)) return 'size';
    if (this.events!.lost() !== k.lostAtFull) return 'events';
    if (k.unkeyed) return 'unkeyed';
    if (k.sinceFull + 1 >= this.fullEvery) return 'due';
    return null;
  }

  /** the events view sees this namespace's opens: a dump's sockets are worth
   * learning (else every cycle is a dump, and learning them is waste) */
  vouches(inode: number): boolean {
    return !!this.events?.opens && this.events.traces(inode);
  }

  /** A dump that does not learn (the events cannot vouch for what follows it):
   * the known set is stale from now on, so the next cycle they vouch for dumps first. */
  unlearned(inode: number): void {
    const k = this.ns.get(inode);
    if (k) k.valid = false;
  }

  /** A full dump of inode begins: what it returns (learn) is the known set. */
  beginDump(inode: number): void {
    const k = this.of(inode);
    k.reqs.clear();
    k.valid = false;
    k.unkeyed = false;
    k.failed = false;
    // oversize is kept: oversize at its last dump, this one only counts its rows.
    // Learning LOOKUP_MAX_SOCKETS sockets again to throw them away cost every cycle
    // of a big namespace ~4k request buffers and cookie strings (bench/poll/README.md).
    k.dumpRows = 0;
    k.dumping = true;
    k.lostAtFull = this.events?.lost() ?? 0;
  }

  /** A batch of the dump under way (before anyone compacts it). */
  learn(inode: number, b: PollBatch): void {
    const k = this.of(inode);
    k.dumpRows += b.rows;
    if (k.oversize) return;
    if (k.reqs.size + b.rows > this.maxSockets) {
      k.oversize = true;
      k.reqs.clear();
      return;
    }
    this.keep(k, b, null);
  }

  /** The dump ended after `ms` of wall time: complete (every socket reported) or not. */
  endDump(inode: number, complete: boolean, ms: number): void {
    const k = this.of(inode);
    k.dumping = false;
    if (complete) k.dumpMs = ms;
    k.valid = complete;
    k.failed = !complete;
    k.sinceFull = 0;
    if (!k.oversize) return;
    if (complete && k.dumpRows <= this.maxSockets) {
      // it shrank: the next cycle is a dump that learns (its sockets were not kept)
      k.oversize = false;
      k.valid = false;
    }
    k.close(); // a big namespace is dumped: no lookup socket kept for it
  }

  /** Rows i with keep[i] (all when null) become known sockets. */
  private keep(k: NsKnown, b: ColumnBatch, mask: Uint8Array | null): void {
    const cookie = b.u64('idiag_cookie'),
      state = b.u8('idiag_state'),
      dport = b.u16('dport'),
      fam = b.u8('idiag_family'),
      sport = b.u16('sport');
    for (let i = 0; i < b.rows; i++) {
      if ((mask && !mask[i]) || dport[i] === 0 || state[i] === LISTEN) continue;
      k.reqs.set(
        String(cookie[i]),
        reqBytes({ src: b.b16('src', i), dst: b.b16('dst', i), cookie: cookie[i]!, sport: sport[i]!, dport: dport[i]!, family: fam[i]! }),
      );
    }
  }

  /** An events batch: each socket opened in a watched namespace becomes known
   * (by cookie; by its tuple when the variant had none yet). */
  observeEvents(b: ColumnBatch): void {
    const kind = b.u8('kind'),
      nsCol = b.u64('netns_inode'),
      cookie = b.u64('idiag_cookie'),
      flags = b.u8('flags'),
      sport = b.u16('sport'),
      dport = b.u16('dport'),
      fam = b.u8('idiag_family');
    for (let i = 0; i < b.rows; i++) {
      if (kind[i] !== EV_KIND.ACTIVE_OPEN && kind[i] !== EV_KIND.PASSIVE_OPEN) continue;
      const k = this.ns.get(Number(nsCol[i]));
      if (!k || !(k.valid || k.dumping) || k.oversize) continue;
      const ck = cookie[i]!;
      if ((ck === 0n && !(flags[i]! & EVF.NOCOOKIE)) || sport[i] === 0 || dport[i] === 0) {
        k.unkeyed = true; // a socket we cannot ask for: the next cycle dumps
        continue;
      }
      const key = ck === 0n ? tupleKey(b, i) : String(ck);
      if (k.reqs.has(key)) continue;
      if (k.reqs.size >= this.maxSockets) {
        k.oversize = true;
        continue;
      }
      k.reqs.set(
        key,
        reqBytes({ src: b.b16('src', i), dst: b.b16('dst', i), cookie: ck, sport: sport[i]!, dport: dport[i]!, family: fam[i]! }),
      );
    }
  }

  /** One lookup cycle of a namespace: every known socket asked for; rows in
   * the states mask go to consume, like a dump's; sockets gone are forgotten. */
  async poll(
    ns: NetnsInfo,
    states: number,
    batch: PollBatch,
    consume: (b: PollBatch, names: readonly string[]) => void | Promise<void>,
  ): Promise<LookupCycle> {
    const k = this.of(ns.inode);
    const out: LookupCycle = { rows: 0, batches: 0, errno: 0 };
    const t0 = performance.now();
    try {
      k.sock ??= new (diagLookupClass())(ns.path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      k.failed = true;
      return { ...out, errno: err.errno ?? 0, code: err.code ?? 'EUNKNOWN' };
    }
    const entries = [...k.reqs];
    const cap = Math.min(batch.capacity, this.reqs.byteLength / LOOKUP_REQ_BYTES);
    const dv = new DataView(this.reqs);
    const bytes = new Uint8Array(this.reqs);
    for (let at = 0; at < entries.length; at += cap) {
      const part = entries.slice(at, at + cap);
      part.forEach(([, r], i) => bytes.set(r, i * LOOKUP_REQ_BYTES));
      const r = await k.sock.lookup(this.reqs, part.length, batch.buffer, batch.capacity, 0xff);
      if (r.names.length) k.names.push(...r.names);
      this.counts.requested += part.length;
      if (r.errno) {
        out.errno = r.errno;
        out.code = r.code ?? 'EUNKNOWN';
        k.valid = false;
        k.failed = true;
        return out;
      }
      const state = batch.u8('idiag_state'),
        cookie = batch.u64('idiag_cookie');
      const keepRow = new Uint8Array(r.rows);
      r.status.forEach((s, i) => {
        const [key] = part[i]!;
        const asked = dv.getBigUint64(i * LOOKUP_REQ_BYTES + 32, true);
        // gone: no such socket, another socket holds the tuple, or the
        // kernel's lookup fell back to the tuple's listener
        if (s < 0 || state[s] === LISTEN || (asked !== 0xffff_ffff_ffff_ffffn && cookie[s] !== asked)) {
          k.reqs.delete(key);
          this.counts.gone++;
          return;
        }
        this.counts.answered++;
        if (key.startsWith('t')) {
          // a cookieless open answered: known by its cookie from now on (unless it
          // already was, from a dump that raced its open: asked twice, one row)
          k.reqs.delete(key);
          if (k.reqs.has(String(cookie[s]))) return;
          keepRow[s] = 2;
        } else if ((states >>> state[s]!) & 1) keepRow[s] = 1;
      });
      batch.rows = r.rows;
      const learnt = keepRow.map((v) => (v === 2 ? 1 : 0));
      if (learnt.some((v) => v)) this.keep(k, batch, learnt);
      for (let i = 0; i < r.rows; i++) if (keepRow[i] === 2) keepRow[i] = (states >>> state[i]!) & 1;
      compactRows(batch, keepRow);
      if (batch.rows > 0) {
        out.rows += batch.rows;
        out.batches++;
        await consume(batch, k.names);
      }
    }
    k.sinceFull++;
    if (entries.length) k.lookupMsPerSocket = (performance.now() - t0) / entries.length;
    return out;
  }

  /** sockets known in a namespace now */
  known(inode: number): number {
    return this.ns.get(inode)?.reqs.size ?? 0;
  }

  /** netlink counters of a namespace's lookup socket (null: none open) */
  stats(inode: number): DumpStats | null {
    const s = this.ns.get(inode)?.sock;
    return s && !s.closed ? s.stats() : null;
  }

  /** Namespaces no longer watched are forgotten. */
  keepOnly(present: ReadonlySet<number>): void {
    for (const [ino, k] of this.ns) {
      if (present.has(ino)) continue;
      k.close();
      this.ns.delete(ino);
    }
  }

  close(): void {
    for (const k of this.ns.values()) k.close();
    this.ns.clear();
  }
}
