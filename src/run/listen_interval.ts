// --listen-interval: how often the listen view polls listeners and bound-only
// sockets in a dump of their own (src/run/views/listen.ts).
import { parseDuration } from '../util/units';

/** ms; 0 for 'every' (listeners in every poll's dump, no listen view) */
export function parseListenInterval(text: string): number {
  return text.trim() === 'every' ? 0 : parseDuration(text, 'listen-interval');
}

/** Whether the listeners get a period of their own: it must be longer than the poll's. */
export const listenSplit = (listenMs: number, intervalMs: number): boolean => listenMs > intervalMs;
