// --filter against the kernel and ss: on a namespace with a known mix of
// sockets (IPv4 and IPv6 listeners, clients and servers), every expression
// makes the kernel return exactly the sockets `ss -tanH EXPR` lists there,
// and only those (the dump carries no other message). Bad expressions:
// filter_cli.test.ts (user space only, so not run on every kernel).
import { expect } from 'chai';
import { execFileSync, spawn } from 'child_process';
import { PollSource } from '../../src/sources/poll';
import { parseNetnsSelector } from '../../src/netns/select';
import { compileSsFilter } from '../../src/filter';
import { suiteWorkloads } from '../helpers/netns';
import { scaled } from '../helpers/time_scale';

/** A listener; a pair the client half-closed (FIN-WAIT-2 / CLOSE-WAIT); a pair
 * both closed, client first (client in TIME-WAIT). Prints the port, then holds. */
const CLOSING = `
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(8)
a = socket.create_connection(l.getsockname()); sa, _ = l.accept()
b = socket.create_connection(l.getsockname()); sb, _ = l.accept()
a.close()
b.close(); time.sleep(0.1); sb.close()
time.sleep(0.2)
print(l.getsockname()[1], flush=True)
time.sleep(60)
`;

/** "localport>peerport" of every socket ss lists for the expression (peer "*" = 0) */
function ssKeys(ns: string, expr: string): string[] {
  // state clauses are ss's own arguments, before the expression
  const args = /^\s*(state|exclude)\b/.test(expr) ? expr.trim().split(/\s+/) : [expr];
  const out = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-tanH', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const port = (ep: string): number => {
    const p = ep.slice(ep.lastIndexOf(':') + 1);
    return p === '*' ? 0 : Number(p);
  };
  return (
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/))
      // local and peer are the last two columns (ss leaves out State when one state is asked for)
      .map((c) => `${port(c[c.length - 2]!)}>${port(c[c.length - 1]!)}`)
      .sort()
  );
}

async function ourKeys(ns: string, expr: string): Promise<{ keys: string[]; messages: number }> {
  const { bytecode, states } = compileSsFilter(expr);
  const src = new PollSource({
    netns: parseNetnsSelector(ns),
    ...(bytecode ? { bytecode } : {}),
    ...(states !== undefined ? { states } : {}),
  });
  const keys: string[] = [];
  const r = await src.cycle((b) => {
    for (let i = 0; i < b.rows; i++) keys.push(`${b.u16('sport')[i]}>${b.u16('dport')[i]}`);
  });
  expect(r.namespaces[0]!.errno, `${expr}: ${r.namespaces[0]!.code}`).to.equal(0);
  const messages = src.stats()[0]!.stats!.messages;
  src.close();
  return { keys: keys.sort(), messages };
}

describe('--filter: inet_diag bytecode, as ss selects', function () {
  this.timeout(scaled(60_000));
  const netns = suiteWorkloads('filt');

  it('selects exactly what ss selects, in the kernel, for every expression', async () => {
    const load = await netns.start({ pairs: [{ family: 4 }, { family: 4 }, { family: 6 }, { family: 6 }] });
    const lst = load.info.sockets.filter((s) => s.role === 'listener');
    const [l4a, l4b] = lst.filter((s) => s.family === 2).map((s) => s.sport) as [number, number];
    const [l6a] = lst.filter((s) => s.family === 10).map((s) => s.sport) as [number];
    const all = await ourKeys(netns.name, `sport >= :0`);
    expect(all.keys).to.have.length(12); // 4 listeners, 4 pairs
    const exprs = [
      `sport = :${l4a}`,
      `dport = :${l4a}`,
      `sport != :${l4a}`,
      `sport > :${l4b}`,
      `dport <= :${l6a}`,
      `dport < :${l6a} and sport >= :1024`,
      'src 127.0.0.1',
      'dst ::1/128',
      'src ::1/128',
      'not src 127.0.0.1',
      'src 127.0.0.0/8 and not dport = :0',
      `( sport = :${l4a} or dport = :${l4a} ) and not src ::1/128`,
      `sport = :${l6a} or dst 127.0.0.1:${l4b}`,
      `src [::1]:${l6a}`,
      `dst *:${l4b} || sport == :${l6a}`,
      `! ( src 127.0.0.1 & dport != :${l4a} )`,
    ];
    for (const e of exprs) {
      const want = ssKeys(netns.name, e);
      const got = await ourKeys(netns.name, e);
      expect(got.keys, e).to.deep.equal(want);
      // the kernel sent only what the filter named: one message per selected socket, plus DONE per family
      expect(got.messages, `${e}: messages`).to.equal(want.length + 2);
    }
    // and the filters did select: neither nothing nor everything, over the list
    const sizes = await Promise.all(exprs.map(async (e) => (await ourKeys(netns.name, e)).keys.length));
    expect(
      sizes.some((n) => n > 0 && n < 12),
      'some expression selects a part',
    ).to.equal(true);
  });

  it('state clauses (state, exclude, groups) select the states ss selects, in the request', async () => {
    const load = await netns.start({ pairs: [{ family: 4 }, { family: 6 }] });
    expect(load.info.sockets.length).to.be.at.least(6);
    // sockets in closing states beside the workload's: a half-closed pair
    // (FIN-WAIT-2 / CLOSE-WAIT) and a closed one (TIME-WAIT), held while checked
    const py = spawn('ip', ['netns', 'exec', netns.name, 'python3', '-c', CLOSING], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const port = Number(await new Promise<string>((res) => py.stdout!.once('data', (d: Buffer) => res(d.toString().trim()))));
      expect(port).to.be.above(0);
      const exprs = [
        'state established',
        'state listening',
        'state time-wait',
        'state fin-wait-2 state close-wait',
        'exclude established',
        'exclude listening exclude time-wait',
        'state connected',
        'state synchronized',
        'state bucket',
        'state big',
        'state all',
        `state established sport = :${port}`,
        `state established ( sport = :${port} or dport = :${port} )`,
        `exclude time-wait dport = :${port}`,
      ];
      const sizes = new Set<number>();
      for (const e of exprs) {
        const want = ssKeys(netns.name, e);
        const got = await ourKeys(netns.name, e);
        expect(got.keys, e).to.deep.equal(want);
        expect(got.messages, `${e}: messages`).to.equal(want.length + 2);
        sizes.add(want.length);
      }
      expect(sizes.size, 'the clauses select different sets').to.be.at.least(4);
      expect(ssKeys(netns.name, 'state time-wait').length, 'a TIME-WAIT socket to select').to.be.at.least(1);
      expect(ssKeys(netns.name, 'state close-wait').length, 'a CLOSE-WAIT socket to select').to.equal(1);
    } finally {
      py.kill();
    }
  });
});
