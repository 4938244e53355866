// The breakdowns of the TCP health metrics an operator opts into
// (--health-by port,comm,cgroup,peer; --health-peers CIDR=NAME,...): which
// dimensions, and the peer names of the operator's CIDRs. A flow's group in
// a dimension is computed once per flow (and again when its owner or side
// changes), never per poll. No address or port becomes a label unless the
// operator asked for that dimension; the series cap bounds what it may add.
import * as net from 'net';
import { usage } from '../util/errors';
import { listItems } from '../util/list';

export const HEALTH_DIMENSIONS = ['port', 'comm', 'cgroup', 'peer'] as const;
export type HealthDimension = (typeof HEALTH_DIMENSIONS)[number];

/** the peer group of an address in none of the named CIDRs */
export const PEER_OTHER = 'other';

export interface PeerCidrs {
  /** the peer name of an address (text as the flow table keeps it), PEER_OTHER when none matches */
  nameOf(addr: string): string;
  readonly names: readonly string[];
}

export interface HealthBreakdown {
  dimensions: readonly HealthDimension[];
  peers: PeerCidrs | null;
  /** label sets the breakdowns may hold at most (every dimension and side together) */
  maxSeries: number;
}

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** "10.0.0.0/8=dc1,fd00::/8=dc1,192.168.1.0/24=office": first match wins, in the order given. */
export function parsePeers(text: string): PeerCidrs {
  const lists: Array<{ name: string; v4: net.BlockList; v6: net.BlockList }> = [];
  const byName = new Map<string, { name: string; v4: net.BlockList; v6: net.BlockList }>();
  for (const item of listItems(text)) {
    const m = /^([^=/\s]+)\/(\d{1,3})=(.+)$/.exec(item);
    if (!m) throw usage(`--health-peers: "${item}" is not CIDR=NAME (e.g. 10.0.0.0/8=dc1)`);
    const [, addr, bitsText, name] = m as unknown as [string, string, string, string];
    const family = net.isIP(addr);
    const bits = Number(bitsText);
    if (family === 0) throw usage(`--health-peers: "${addr}" is not an IP address`);
    if (bits > (family === 4 ? 32 : 128)) throw usage(`--health-peers: /${bits} is too long for ${addr}`);
    if (!NAME.test(name) || name === PEER_OTHER)
      throw usage(`--health-peers: "${name}" is not a peer name (letters, digits, _.:-; not "${PEER_OTHER}")`);
    let e = byName.get(name);
    if (!e) {
      e = { name, v4: new net.BlockList(), v6: new net.BlockList() };
      byName.set(name, e);
      lists.push(e);
    }
    if (family === 4) e.v4.addSubnet(addr, bits, 'ipv4');
    else e.v6.addSubnet(addr, bits, 'ipv6');
  }
  if (!lists.length) throw usage('--health-peers: no CIDR=NAME given');
  return {
    names: lists.map((l) => l.name),
    nameOf(a: string): string {
      // v4-mapped v6 (a dual-stack socket's IPv4 peer) is matched as IPv4
      const v4 = net.isIPv4(a) ? a : a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : null;
      for (const l of lists) {
        if (v4 !== null ? l.v4.check(v4, 'ipv4') : net.isIPv6(a) && l.v6.check(a, 'ipv6')) return l.name;
      }
      return PEER_OTHER;
    },
  };
}

/** --health-by, --health-peers (implies peer) and --health-max-series, checked. */
export function parseBreakdown(by: string, peers: string | undefined, maxSeries: number): HealthBreakdown {
  const dims = new Set<HealthDimension>();
  for (const d of listItems(by)) {
    if (!(HEALTH_DIMENSIONS as readonly string[]).includes(d))
      throw usage(`--health-by: unknown breakdown "${d}" (${HEALTH_DIMENSIONS.join(', ')})`);
    dims.add(d as HealthDimension);
  }
  const cidrs = peers?.trim() ? parsePeers(peers) : null;
  if (cidrs) dims.add('peer');
  if (dims.has('peer') && !cidrs) throw usage('--health-by peer: name the peers with --health-peers CIDR=NAME,...');
  if (!(Number.isInteger(maxSeries) && maxSeries >= 0)) throw usage('--health-max-series: a whole number, 0 or more');
  return { dimensions: HEALTH_DIMENSIONS.filter((d) => dims.has(d)), peers: cidrs, maxSeries };
}
