// FlowRow literals for tests that write flows without running the flow table.
import type { FlowRow } from '../../src/correlate/flow_row';

/** The 008_flow_forensics fields of a flow nothing more is known of. */
export const NO_FORENSICS: Pick<
  FlowRow,
  | 'close_reason'
  | 'handshake'
  | 'state_at_close'
  | 'tcpi_min_rtt'
  | 'tcpi_busy_time'
  | 'tcpi_rwnd_limited'
  | 'tcpi_sndbuf_limited'
  | 'tcpi_lost'
  | 'tcpi_reord_seen'
  | 'tcpi_bytes_sent'
  | 'tcpi_bytes_retrans'
> = {
  close_reason: 'unknown',
  handshake: 2,
  state_at_close: 0,
  tcpi_min_rtt: 0,
  tcpi_busy_time: 0n,
  tcpi_rwnd_limited: 0n,
  tcpi_sndbuf_limited: 0n,
  tcpi_lost: 0,
  tcpi_reord_seen: 0,
  tcpi_bytes_sent: 0n,
  tcpi_bytes_retrans: 0n,
};
