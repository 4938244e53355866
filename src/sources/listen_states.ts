// The states a dump asks for decide which of the kernel's hash tables it
// walks (net/ipv4/inet_diag.c, inet_diag_dump_icsk): LISTEN walks the
// listening hash, BOUND_INACTIVE (6.5+; ignored before) the bind hash, any
// other state the established hash. Listeners rarely change and are no
// flows: `run` polls them in a dump of their own on a slower period
// (--listen-interval), so that the regular poll walks the established hash
// alone. Bound-only sockets are left out of both: the bind hash is the
// host's, shared by every namespace, and its walk passes every bound socket
// of the host (measured: as costly as the established walk; bench/ehash).

export const TCP_LISTEN = 10;
export const TCP_BOUND_INACTIVE = 13;
export const TCPF_CLOSE = 1 << 7;
export const TCPF_LISTEN = 1 << TCP_LISTEN;
export const TCPF_BOUND_INACTIVE = 1 << TCP_BOUND_INACTIVE;

export interface SplitStates {
  /** the regular poll's mask: the established hash only */
  flows: number;
  /** the listen poll's mask */
  listen: number;
}

/** Splits a dump's states mask into its two walks; null when one of them is empty (nothing to split). */
export function splitStates(states: number): SplitStates | null {
  const listen = (states & TCPF_LISTEN) >>> 0;
  const flows = (states & ~(TCPF_LISTEN | TCPF_BOUND_INACTIVE)) >>> 0;
  return listen && flows ? { flows, listen } : null;
}
