// The real probes: each tries the operation a view depends on, once.
import { addon, type ProbeResult } from '../native/addon';
import { probeEventsView, probeIterPoll, probeSamplesView, type ViewProbe } from './view_probes';

/** INET_DIAG_* attribute numbers the verdict reads from the diag probe's bitmask. */
export const INET_DIAG_MARK = 15;
export const INET_DIAG_CLASS_ID = 17;

export interface Probes {
  /** why the addon could not be loaded; null when it loaded */
  addonError: string | null;
  /** one-socket inet_diag lookup of our own listener; attrs = INET_DIAG_* bitmask */
  diag: (ProbeResult & { attrs: number }) | null;
  /** joining the SKNLGRP_INET{,6}_TCP_DESTROY multicast groups */
  destroy: ProbeResult | null;
  /** loading a two-instruction raw_tracepoint program */
  bpf: ProbeResult | null;
  /** setns into our own /proc/self/ns/net: needs CAP_SYS_ADMIN like any other */
  setns: ProbeResult | null;
  /** the events view's own programs, loaded part by part and closed */
  events?: ViewProbe | null;
  /** the samples view's own programs, loaded part by part and closed */
  samples?: ViewProbe | null;
  /** the iterator poll's program (--poll-via iter), loaded and closed */
  iter?: ViewProbe | null;
}

export const SELF_NETNS = '/proc/self/ns/net';

export function runProbes(): Probes {
  let probe;
  try {
    probe = addon().probe;
  } catch (e) {
    return { addonError: (e as Error).message, diag: null, destroy: null, bpf: null, setns: null };
  }
  return {
    addonError: null,
    diag: probe.diag(),
    destroy: probe.destroy(),
    bpf: probe.bpf(),
    setns: probe.setns(SELF_NETNS),
    events: probeEventsView(),
    samples: probeSamplesView(),
    iter: probeIterPoll(),
  };
}

/** "EPERM (Operation not permitted)" for a failed probe. */
export const probeError = (r: ProbeResult): string => `${r.code ?? `errno ${r.errno}`}${r.message ? ` (${r.message})` : ''}`;
