// Parses `ss -tinmeHO` output into per-cookie fields: the independent
// anchor the poll view is checked against.
import { inNetns } from './netns';

export interface SsSocket {
  cookie: string; // decimal, from sk:<hex>
  state: string;
  rqueue: number;
  wqueue: number;
  local: string;
  peer: string;
  ino: number;
  fields: Record<string, string>; // key:value tokens (bytes_acked, cwnd, ...)
  skmem?: Record<string, number>;
  cong?: string;
}

const CONGS = new Set(['reno', 'cubic', 'bbr', 'dctcp', 'vegas', 'htcp', 'westwood', 'bic']);

export function parseSs(text: string): SsSocket[] {
  const out: SsSocket[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t.length < 5) continue;
    const [state, rq, wq, local, peer, ...rest] = t as [string, string, string, string, string, ...string[]];
    const s: SsSocket = { cookie: '', state, rqueue: Number(rq), wqueue: Number(wq), local, peer, ino: 0, fields: {} };
    for (const tok of rest) {
      const sk = /^sk:([0-9a-f]+)$/.exec(tok);
      if (sk) {
        s.cookie = BigInt(`0x${sk[1]}`).toString();
        continue;
      }
      const mem = /^skmem:\((.*)\)$/.exec(tok);
      if (mem) {
        s.skmem = {};
        for (const kv of mem[1]!.split(',')) {
          const m = /^([a-z]+)(\d+)$/.exec(kv);
          if (m) s.skmem[m[1]!] = Number(m[2]);
        }
        continue;
      }
      if (CONGS.has(tok)) {
        s.cong = tok;
        continue;
      }
      const kv = /^([a-z_]+):(.*)$/.exec(tok);
      if (kv) s.fields[kv[1]!] = kv[2]!;
    }
    s.ino = Number(s.fields.ino ?? 0);
    if (s.cookie) out.push(s);
  }
  return out;
}

export function ssInNetns(netns: string): SsSocket[] {
  return parseSs(inNetns(netns, 'ss', ['-tanimeHO']));
}
