// --snapshot-on: which events the targeted view answers with a snapshot of
// the one socket they name, and how long after the event it asks.
//   open[:DELAY]        a connection opened (active or passive), DELAY later (default 0)
//   retransmit[:DELAY]  a retransmit burst: the first retransmit, DELAY later;
//                       retransmits while one is waiting join it
//   reset[:DELAY]       a reset sent or received
// e.g. "open:50ms,retransmit,reset". A bare number is milliseconds.
import { durationMs } from '../util/units';
import { usage } from '../util/errors';

export const TRIGGER_KINDS = ['open', 'retransmit', 'reset'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

/** each trigger asked for, with its delay in ms */
export type SnapshotTriggers = Partial<Record<TriggerKind, number>>;

export function parseSnapshotOn(text: string, flag = '--snapshot-on'): SnapshotTriggers {
  const out: SnapshotTriggers = {};
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw usage(`${flag}: name at least one trigger (${TRIGGER_KINDS.join(', ')})`);
  for (const item of items) {
    const [name = '', delay, extra] = item.split(':');
    if (!(TRIGGER_KINDS as readonly string[]).includes(name))
      throw usage(`${flag}: unknown trigger "${name}" (${TRIGGER_KINDS.map((k) => `${k}[:DELAY]`).join(', ')})`);
    const ms = delay === undefined ? 0 : durationMs(delay, 'ms');
    if (ms === null || extra !== undefined)
      throw usage(`${flag}: "${item}": the delay is not a duration (examples: open:50ms, retransmit:0)`);
    if (ms > 3_600_000) throw usage(`${flag}: "${item}": a delay of at most 1h`);
    out[name as TriggerKind] = ms;
  }
  return out;
}

/** "open:50ms,retransmit:0ms": the triggers as they were understood, for logs */
export const describeTriggers = (t: SnapshotTriggers): string =>
  TRIGGER_KINDS.filter((k) => t[k] !== undefined)
    .map((k) => `${k}:${t[k]}ms`)
    .join(',');
