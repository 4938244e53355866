// Kernel TCP states (include/net/tcp_states.h) and ss's short names.
import { listItems } from '../util/list';
import { usage } from '../util/errors';
export const TCP_STATES = [
  '',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
  'BOUND_INACTIVE',
] as const;

export const SS_STATE_NAMES = [
  'UNKNOWN',
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'UNCONN',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
  'SYN-RECV',
  'BOUND-INACTIVE',
] as const;

/** Every state: the default dump filter. */
export const ALL_STATES = 0xffffffff;

const ALIASES: Record<string, number[]> = {
  connected: [1, 2, 3, 4, 5, 8, 9, 11, 12],
  established: [1],
  estab: [1],
  listening: [10],
  listen: [10],
};

/** "established,listen,time_wait" -> TCPF_* bitmask. Throws on an unknown name. */
export function parseStates(text: string): number {
  let mask = 0;
  for (const raw of listItems(text, true)) {
    if (raw === 'all') return ALL_STATES;
    const alias = ALIASES[raw];
    if (alias) {
      for (const s of alias) mask |= 1 << s;
      continue;
    }
    const idx = TCP_STATES.findIndex((s) => s.toLowerCase() === raw.replace(/-/g, '_'));
    if (idx <= 0) {
      throw usage(
        `--states: unknown TCP state "${raw}" (one of: all, connected, ${TCP_STATES.slice(1)
          .map((s) => s.toLowerCase())
          .join(', ')})`,
      );
    }
    mask |= 1 << idx;
  }
  return mask >>> 0;
}
