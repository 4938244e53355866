// Lifetimes of connections from the events view's closes, for the adaptive
// poll in compare. compare counts a flow (a connection) as seen when either
// of its sockets is, so what a poll can catch lives from the first socket's
// open to the last one's close: both ends' closes (same two endpoints) are
// paired into that union. A close whose peer is not local (or never closes)
// counts alone after PAIR_WAIT_NS.
import type { ColumnBatch } from '../../layout/batch';
import type { LifetimeSink } from '../../correlate/lifetimes';
import { EV_KIND, EVF } from '../../layout/event_columns';

const PAIR_WAIT_NS = 2_000_000_000n;
const MAX_WAITING = 100_000;

export class ConnectionLifetimes {
  private readonly waiting = new Map<string, { start: bigint; end: bigint }>();
  paired = 0;
  alone = 0;

  constructor(private readonly sink: LifetimeSink) {}

  /** Every closed socket of an events batch. */
  feed(b: ColumnBatch): void {
    const kind = b.u8('kind'),
      flags = b.u8('flags'),
      dur = b.u64('duration_ns'),
      ts = b.u64('ts_ns'),
      sport = b.u16('sport'),
      dport = b.u16('dport');
    let last = 0n;
    for (let i = 0; i < b.rows; i++) {
      if (kind[i] !== EV_KIND.CLOSE || !(flags[i]! & EVF.FINAL) || !(dur[i]! > 0n)) continue;
      const a = `${Buffer.from(b.b16('src', i)).toString('hex')}:${sport[i]}`;
      const z = `${Buffer.from(b.b16('dst', i)).toString('hex')}:${dport[i]}`;
      const key = a < z ? `${a}|${z}` : `${z}|${a}`;
      const end = ts[i]!,
        start = end - dur[i]!;
      last = end > last ? end : last;
      const peer = this.waiting.get(key);
      if (peer) {
        this.waiting.delete(key);
        const s = peer.start < start ? peer.start : start,
          e = peer.end > end ? peer.end : end;
        this.sink.addLifetime(Number(e - s) / 1e6);
        this.paired++;
      } else if (this.waiting.size < MAX_WAITING) this.waiting.set(key, { start, end });
      else this.single(start, end);
    }
    if (last > 0n) this.expire(last);
  }

  private single(start: bigint, end: bigint): void {
    this.sink.addLifetime(Number(end - start) / 1e6);
    this.alone++;
  }

  /** closes waiting longer than PAIR_WAIT_NS count alone (the map is in insertion order) */
  private expire(nowNs: bigint): void {
    for (const [k, w] of this.waiting) {
      if (nowNs - w.end < PAIR_WAIT_NS) break;
      this.waiting.delete(k);
      this.single(w.start, w.end);
    }
  }
}
