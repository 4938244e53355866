// ss -tin style text: one line per socket, then an indented line of tcp_info.
import type { SocketRecord } from './record';
import { SS_STATE_NAMES } from './tcp_states';

export const TABLE_HEADER = ['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port', 'Netns'];
const WIDTHS = [10, 7, 7, 40, 40, 0];

export function endpoint(addr: string | number | undefined, port: string | number | undefined): string {
  const a = String(addr);
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

function pad(cols: string[]): string {
  return cols
    .map((c, i) => (WIDTHS[i] ? c.padEnd(WIDTHS[i]!) : c))
    .join(' ')
    .trimEnd();
}

export function tableHeader(): string {
  return pad(TABLE_HEADER);
}

const ms = (us: number): string => (us / 1000).toFixed(3).replace(/\.?0+$/, '');

/** The second line: what `ss -i` prints, from the fields that are present. */
function infoLine(r: SocketRecord): string {
  const p: string[] = [];
  const has = (k: string): boolean => r[k] !== undefined;
  if (has('cong')) p.push(String(r.cong));
  if (has('tcpi_snd_wscale')) p.push(`wscale:${r.tcpi_snd_wscale},${r.tcpi_rcv_wscale}`);
  if (has('tcpi_rto') && r.tcpi_rto) p.push(`rto:${ms(Number(r.tcpi_rto))}`);
  if (has('tcpi_rtt') && r.tcpi_rtt) p.push(`rtt:${ms(Number(r.tcpi_rtt))}/${ms(Number(r.tcpi_rttvar))}`);
  if (has('tcpi_snd_mss')) p.push(`mss:${r.tcpi_snd_mss}`);
  if (has('tcpi_snd_cwnd')) p.push(`cwnd:${r.tcpi_snd_cwnd}`);
  for (const [k, label] of [
    ['tcpi_bytes_sent', 'bytes_sent'],
    ['tcpi_bytes_retrans', 'bytes_retrans'],
    ['tcpi_bytes_acked', 'bytes_acked'],
    ['tcpi_bytes_received', 'bytes_received'],
    ['tcpi_segs_out', 'segs_out'],
    ['tcpi_segs_in', 'segs_in'],
    ['tcpi_total_retrans', 'retrans_total'],
    ['tcpi_delivered', 'delivered'],
    ['tcpi_notsent_bytes', 'notsent'],
  ] as const) {
    if (has(k) && Number(r[k]) > 0) p.push(`${label}:${r[k]}`);
  }
  if (has('bbr_bw_lo')) p.push(`bbr:(min_rtt:${r.bbr_min_rtt},pacing_gain:${r.bbr_pacing_gain},cwnd_gain:${r.bbr_cwnd_gain})`);
  if (has('mark') && Number(r.mark) !== 0) p.push(`fwmark:0x${Number(r.mark).toString(16)}`);
  if (has('tos') && Number(r.tos) !== 0) p.push(`tos:0x${Number(r.tos).toString(16)}`);
  if (has('tclass') && Number(r.tclass) !== 0) p.push(`tclass:0x${Number(r.tclass).toString(16)}`);
  p.push(`ino:${r.idiag_inode}`, `sk:${BigInt(String(r.idiag_cookie)).toString(16)}`);
  return `\t ${p.join(' ')}`;
}

export function tableRow(r: SocketRecord): string {
  const state = SS_STATE_NAMES[Number(r.idiag_state)] ?? String(r.idiag_state);
  const main = pad([
    state,
    String(r.idiag_rqueue),
    String(r.idiag_wqueue),
    endpoint(r.src, r.sport),
    endpoint(r.dst, r.dport),
    String(r.netns),
  ]);
  return `${main}\n${infoLine(r)}`;
}
