// --filter: a subset of ss's filter expressions (ss(8), "FILTER"), parsed
// into a tree the bytecode compiler (bytecode.ts) turns into an inet_diag
// filter the kernel runs on every socket before it formats it.
//   EXPR   := OR ;  OR := AND ('or' | '|' | '||') AND ... ;  AND := UNARY [('and' | '&' | '&&')] UNARY ...
//   UNARY  := ('not' | '!') UNARY | '(' EXPR ')' | PRED
//   PRED   := ('sport' | 'dport') OP ':'PORT       OP: = == eq != ne neq < lt > gt <= le >= ge
//           | ('src' | 'dst') ADDR                 ADDR: 10.0.0.0/8, 10.0.0.1, 10.0.0.1:80, ::1, fd00::/8, [::1], [::1]:80, *:80
// Before the expression, ss's state clauses (`state established`, `exclude
// time-wait`, groups such as connected or bucket: ./states.ts) select the
// request's states mask. A bad expression is a one-line usage error naming
// the position.
import { isIPv4, isIPv6 } from 'net';
import { usage } from '../util/errors';
import { statesMask, type StateClause } from './states';

export type PortOp = 'eq' | 'ne' | 'lt' | 'gt' | 'le' | 'ge';
export type Filter =
  | { kind: 'and' | 'or'; a: Filter; b: Filter }
  | { kind: 'not'; a: Filter }
  | { kind: 'port'; side: 's' | 'd'; op: PortOp; port: number }
  /** family 0: any address (a port only); prefix in bits */
  | { kind: 'host'; side: 's' | 'd'; family: 0 | 4 | 6; addr: Uint8Array; prefix: number; port: number | null };

const OPS: Record<string, PortOp> = {
  '=': 'eq',
  '==': 'eq',
  eq: 'eq',
  '!=': 'ne',
  ne: 'ne',
  neq: 'ne',
  '<': 'lt',
  lt: 'lt',
  '>': 'gt',
  gt: 'gt',
  '<=': 'le',
  le: 'le',
  '>=': 'ge',
  ge: 'ge',
};

interface Tok {
  text: string;
  at: number;
}

function tokens(text: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(\(|\)|&&|\|\||[&|!](?!=)|[<>!=]=|==|[<>=]|[^\s()<>=!&|]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < text.length && (m = re.exec(text))) {
    if (m[1] === undefined) break;
    out.push({ text: m[1], at: m.index + m[0].length - m[1].length + 1 });
    at = re.lastIndex;
  }
  if (text.slice(at).trim()) throw usage(`--filter: cannot read "${text.slice(at).trim()}" at position ${at + 1}`);
  return out;
}

function parsePort(s: string, at: number): number {
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n >= 0 && n <= 65535)) throw usage(`--filter: "${s}" at position ${at} is not a port (0-65535)`);
  return n;
}

function addrBytes(ip: string, v6: boolean): Uint8Array {
  const b = new Uint8Array(16);
  if (!v6) {
    ip.split('.').forEach((x, i) => (b[i] = Number(x)));
    return b;
  }
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  const parse = (s: string): number[] =>
    (s ? s.split(':') : []).flatMap((g) => (isIPv4(g) ? [...g.split('.').map(Number)] : [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]));
  const h = parse(head),
    t = tail === undefined ? [] : parse(tail);
  b.set(h, 0);
  b.set(t, 16 - t.length);
  return b;
}

/** src/dst operand: ADDR[/PREFIX][:PORT], [V6][/PREFIX][:PORT], *[:PORT] */
function parseHost(side: 's' | 'd', s: string, at: number): Filter {
  const bad = (): never => {
    throw usage(`--filter: "${s}" at position ${at} is not an address (10.0.0.0/8, 10.0.0.1:80, [::1]:80, *:80)`);
  };
  // an unbracketed IPv6 address (two colons or more) has no port: ::1, fd00::/8
  const v6bare = !s.startsWith('[') && (s.match(/:/g)?.length ?? 0) >= 2 ? /^([0-9a-fA-F:.]+)(?:\/(\d+))?$/.exec(s) : null;
  const m = v6bare
    ? (['', v6bare[1], undefined, undefined, v6bare[2], undefined] as unknown as RegExpExecArray)
    : (/^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)|(\*))(?:\/(\d+))?(?::(\d+|\*))?$/.exec(s) ?? bad());
  const port = m[5] === undefined || m[5] === '*' ? null : parsePort(m[5], at);
  if (m[3]) return { kind: 'host', side, family: 0, addr: new Uint8Array(16), prefix: 0, port };
  const ip = m[1] ?? m[2]!;
  const v6 = m[1] !== undefined;
  if (v6 ? !isIPv6(ip) : !isIPv4(ip)) bad();
  const max = v6 ? 128 : 32;
  const prefix = m[4] === undefined ? max : Number(m[4]);
  if (prefix > max) throw usage(`--filter: prefix /${prefix} at position ${at} is longer than the address (${max} bits)`);
  return { kind: 'host', side, family: v6 ? 6 : 4, addr: addrBytes(ip, v6), prefix, port };
}

/** An expression alone (no state clauses). */
export function parseFilter(text: string): Filter {
  const p = parseSsFilter(text);
  if (p.states !== null || !p.filter) throw usage('--filter: an expression expected, not state clauses');
  return p.filter;
}

/** ss's FILTER: [ state|exclude NAME ]... [ EXPRESSION ]; states null: every
 * state; filter null: no expression. */
export function parseSsFilter(text: string): { states: number | null; filter: Filter | null } {
  const toks = tokens(text);
  let i = 0;
  const clauses: StateClause[] = [];
  for (;;) {
    const w = toks[i]?.text.toLowerCase();
    if (w !== 'state' && w !== 'exclude' && w !== 'excl') break;
    const name = toks[i + 1];
    if (!name) throw usage(`--filter: a state expected at position ${text.length + 1} (end of the expression)`);
    clauses.push({ word: w === 'state' ? 'state' : 'exclude', name: name.text, at: name.at });
    i += 2;
  }
  const states = statesMask(clauses);
  if (i === toks.length) {
    if (!clauses.length) throw usage('--filter: an empty expression');
    return { states, filter: null };
  }
  return { states, filter: parseExpression(text, toks, i) };
}

function parseExpression(text: string, toks: Tok[], start: number): Filter {
  let i = start;
  const peek = (): Tok | undefined => toks[i];
  const end = text.length + 1;
  const expect = (what: string): Tok => {
    const t = toks[i++];
    if (!t) throw usage(`--filter: ${what} expected at position ${end} (end of the expression)`);
    return t;
  };
  const isOr = (t?: Tok): boolean => !!t && ['or', '|', '||'].includes(t.text);
  const isAnd = (t?: Tok): boolean => !!t && ['and', '&', '&&'].includes(t.text);

  function or(): Filter {
    let a = and();
    while (isOr(peek())) {
      i++;
      a = { kind: 'or', a, b: and() };
    }
    return a;
  }
  function and(): Filter {
    let a = unary();
    for (;;) {
      const t = peek();
      if (isAnd(t)) i++;
      else if (!t || t.text === ')' || isOr(t)) return a;
      a = { kind: 'and', a, b: unary() };
    }
  }
  function unary(): Filter {
    const t = expect('a condition');
    if (t.text === 'not' || t.text === '!') return { kind: 'not', a: unary() };
    if (t.text === '(') {
      const e = or();
      const c = expect("')'");
      if (c.text !== ')') throw usage(`--filter: ')' expected at position ${c.at}, found "${c.text}"`);
      return e;
    }
    const key = t.text.toLowerCase();
    if (key === 'sport' || key === 'dport') {
      const o = expect(`an operator after ${key}`);
      const op = OPS[o.text.toLowerCase()];
      if (!op) throw usage(`--filter: "${o.text}" at position ${o.at} is not an operator (= != < > <= >=)`);
      const p = expect('a port (:80)');
      const port = /^:/.test(p.text) ? p.text.slice(1) : p.text;
      return { kind: 'port', side: key[0] as 's' | 'd', op, port: parsePort(port, p.at) };
    }
    if (key === 'src' || key === 'dst') {
      let a = expect(`an address after ${key}`);
      if (OPS[a.text] === 'eq') a = expect(`an address after ${key} =`);
      return parseHost(key[0] as 's' | 'd', a.text, a.at);
    }
    throw usage(`--filter: unknown "${t.text}" at position ${t.at} (sport, dport, src, dst, and, or, not, parentheses)`);
  }

  const f = or();
  const rest = peek();
  if (rest) throw usage(`--filter: unexpected "${rest.text}" at position ${rest.at}`);
  return f;
}
