// ss's state filter (ss(8), STATE-FILTER): `state NAME` and `exclude NAME`
// clauses before the expression, turned into the request's states mask
// (idiag_states), so the kernel skips sockets in other states without
// running any bytecode, and skips the listening hash altogether when LISTEN
// is not asked for. As ss: the first `state` starts from no state, the first
// `exclude` from every state; later clauses add or remove.
import { usage } from '../util/errors';

const bit = (...states: number[]): number => states.reduce((m, s) => m | (1 << s), 0);
/** TCP_* numbers, include/net/tcp_states.h; NEW_SYN_RECV (12) is asked for with SYN_RECV by the kernel itself */
const ALL = bit(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
const CONNECTED = ALL & ~bit(10, 7);

/** ss's names (and groups) -> TCPF_* mask */
export const SS_STATES: Readonly<Record<string, number>> = {
  established: bit(1),
  'syn-sent': bit(2),
  'syn-recv': bit(3),
  'fin-wait-1': bit(4),
  'fin-wait-2': bit(5),
  'time-wait': bit(6),
  closed: bit(7),
  'close-wait': bit(8),
  'last-ack': bit(9),
  listening: bit(10),
  listen: bit(10),
  closing: bit(11),
  all: ALL,
  connected: CONNECTED,
  synchronized: CONNECTED & ~bit(2),
  bucket: bit(3, 6),
  big: ALL & ~bit(3, 6),
};

export interface StateClause {
  word: 'state' | 'exclude';
  name: string;
  /** 1-based position of the name, for errors */
  at: number;
}

/** The mask the clauses select (null: no clause, every state). */
export function statesMask(clauses: readonly StateClause[]): number | null {
  let mask: number | null = null;
  for (const c of clauses) {
    const m = SS_STATES[c.name.toLowerCase()];
    if (m === undefined) throw usage(`--filter: "${c.name}" at position ${c.at} is not a state (${Object.keys(SS_STATES).join(', ')})`);
    if (c.word === 'state') mask = (mask ?? 0) | m;
    else mask = (mask ?? ALL) & ~m;
  }
  return mask;
}
