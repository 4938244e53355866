// Compiles a parsed --filter (parse.ts) into inet_diag bytecode
// (INET_DIAG_REQ_BYTECODE), the way ss does (iproute2 misc/ss.c,
// ssfilter_bytecompile): a program of 4-byte ops {code, yes, no} the kernel
// (inet_diag_bc_run) walks per socket; a socket passes when the walk ends
// exactly at the end, fails when a jump lands 4 bytes past it.
import type { Filter } from './parse';

/** enum in linux/inet_diag.h */
const BC = { JMP: 1, S_GE: 2, S_LE: 3, D_GE: 4, D_LE: 5, S_COND: 7, D_COND: 8, S_EQ: 11, D_EQ: 12 } as const;
const AF_INET = 2,
  AF_INET6 = 10;

function op(code: number, yes: number, no: number): Uint8Array {
  const b = new Uint8Array(4);
  const v = new DataView(b.buffer);
  v.setUint8(0, code);
  v.setUint8(1, yes);
  v.setUint16(2, no, true);
  return b;
}

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** Every "fail" exit of `a` (a jump 4 bytes past its end) moved `reloc` bytes further (ss's ssfilter_patch). */
function patch(a: Uint8Array, reloc: number): Uint8Array {
  const v = new DataView(a.buffer, a.byteOffset, a.byteLength);
  for (let off = 0; off < a.length;) {
    const len = a.length - off;
    if (v.getUint16(off + 2, true) === len + 4) v.setUint16(off + 2, len + 4 + reloc, true);
    off += v.getUint8(off + 1);
  }
  return a;
}

const not = (a: Uint8Array): Uint8Array => cat(a, op(BC.JMP, 4, 8));

function port(side: 's' | 'd', code: 'EQ' | 'GE' | 'LE', p: number): Uint8Array {
  return cat(op(BC[`${side.toUpperCase() as 'S' | 'D'}_${code}`], 8, 12), op(0, 0, p));
}

export function compileFilter(f: Filter): Uint8Array {
  switch (f.kind) {
    case 'and': {
      const a = compileFilter(f.a),
        b = compileFilter(f.b);
      return cat(patch(a, b.length), b);
    }
    case 'or': {
      const a = compileFilter(f.a),
        b = compileFilter(f.b);
      return cat(a, op(BC.JMP, 4, b.length + 4), b);
    }
    case 'not':
      return not(compileFilter(f.a));
    case 'port':
      switch (f.op) {
        case 'eq':
          return port(f.side, 'EQ', f.port);
        case 'ge':
          return port(f.side, 'GE', f.port);
        case 'le':
          return port(f.side, 'LE', f.port);
        case 'ne':
          return not(port(f.side, 'EQ', f.port));
        case 'gt':
          return not(port(f.side, 'LE', f.port));
        case 'lt':
          return not(port(f.side, 'GE', f.port));
      }
      break;
    case 'host': {
      const alen = f.family === 4 ? 4 : f.family === 6 ? 16 : 0;
      const cond = new Uint8Array(8 + alen);
      const v = new DataView(cond.buffer);
      v.setUint8(0, f.family === 4 ? AF_INET : f.family === 6 ? AF_INET6 : 0);
      v.setUint8(1, f.prefix);
      v.setInt32(4, f.port ?? -1, true);
      cond.set(f.addr.subarray(0, alen), 8);
      const yes = 4 + cond.length;
      return cat(op(f.side === 's' ? BC.S_COND : BC.D_COND, yes, yes + 4), cond);
    }
  }
  throw new Error('compileFilter: unknown node');
}
