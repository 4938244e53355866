// The TS mirror of the poll batch layout (src/layout/poll_columns.ts +
// placeColumns) against the addon's layout(), and the tcp_info member columns
// against the running kernel's struct tcp_info (BTF).
import { expectUniqueLargestFirst } from '../helpers/columns_h';
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { addon } from '../../src/native/addon';
import { PollBatch, placeColumns, TYPE_WIDTH } from '../../src/layout/batch';
import { POLL_COLUMNS } from '../../src/layout/poll_columns';
import { skipIf } from '../helpers/skip';
import { scaled } from '../helpers/time_scale';

const CAPACITIES = [0, 1, 3, 7, 8, 13, 64, 1000, 4097, 65535];

describe('poll batch layout: TS mirror vs native layout()', () => {
  for (const cap of CAPACITIES) {
    it(`capacity ${cap}: same columns, types, offsets, tcpiEnd and total bytes`, () => {
      const n = addon().layout(cap);
      const t = placeColumns(cap);
      expect(n.capacity).to.equal(cap);
      expect(t.columns.map((c) => c.name)).to.deep.equal(n.columns.map((c) => c.name));
      expect(t.columns.map((c) => c.type)).to.deep.equal(n.columns.map((c) => c.type));
      expect(t.columns.map((c) => c.offset)).to.deep.equal(n.columns.map((c) => c.offset));
      expect(t.columns.map((c) => c.tcpiEnd)).to.deep.equal(n.columns.map((c) => c.tcpiEnd));
      expect(t.bytes).to.equal(n.bytes);
    });
  }

  it('every column offset is 8-byte aligned, columns do not overlap, and the buffer holds them all', () => {
    for (const cap of CAPACITIES) {
      const n = addon().layout(cap);
      let end = 0;
      for (const c of n.columns) {
        expect(c.offset % 8, `${c.name} at capacity ${cap}`).to.equal(0);
        expect(c.offset, `${c.name} at capacity ${cap}`).to.be.at.least(end);
        end = c.offset + cap * TYPE_WIDTH[c.type];
      }
      expect(n.bytes).to.be.at.least(end);
      expect(n.bytes % 8).to.equal(0);
      expect(n.bytes - end).to.be.below(8);
    }
  });

  it('column names are unique, and columns go largest type first', () => {
    expectUniqueLargestFirst(POLL_COLUMNS);
  });

  it('a PollBatch views every column exactly over its native region', () => {
    const cap = 13;
    const b = new PollBatch(cap);
    const n = addon().layout(cap);
    expect(b.buffer.byteLength).to.equal(n.bytes);
    for (const c of n.columns) {
      const v = b.views[c.name]!;
      const width = TYPE_WIDTH[c.type];
      expect(v.byteOffset, c.name).to.equal(c.offset);
      expect(v.byteLength, c.name).to.equal(cap * width);
    }
    // The addon accepts exactly this buffer for this capacity, and not a smaller one.
    expect(() => addon().replay(new Uint8Array(0), b.buffer, cap)).to.not.throw();
    expect(() => addon().replay(new Uint8Array(0), b.buffer.slice(0, n.bytes - 8), cap)).to.throw(RangeError);
  });
});

/** struct tcp_info of the running kernel from BTF: member -> { byte end, bitfield? }. */
function kernelTcpInfo(): { size: number; members: Map<string, number> } | string {
  if (!fs.existsSync('/sys/kernel/btf/vmlinux')) return 'no /sys/kernel/btf/vmlinux';
  let raw: string;
  try {
    raw = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'raw'], {
      encoding: 'utf8',
      maxBuffer: 512 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    return `bpftool not usable (${(e as Error).message.split('\n')[0]})`;
  }
  const lines = raw.split('\n');
  const byId = new Map<number, string>();
  for (const l of lines) {
    const m = /^\[(\d+)\] /.exec(l);
    if (m) byId.set(Number(m[1]), l);
  }
  const sizeOf = (id: number): number => {
    for (let k = 0; k < 16; k++) {
      const l = byId.get(id)!;
      const s = / size=(\d+)/.exec(l);
      if (/^\[\d+\] (INT|STRUCT|UNION|ENUM) /.test(l) && s) return Number(s[1]);
      const t = / type_id=(\d+)/.exec(l);
      if (!t) throw new Error(`BTF: cannot size ${l}`);
      id = Number(t[1]);
    }
    throw new Error('BTF: typedef chain too long');
  };
  const start = lines.findIndex((l) => /^\[\d+\] STRUCT 'tcp_info' size=\d+/.test(l));
  if (start < 0) return 'no struct tcp_info in the kernel BTF';
  const size = Number(/size=(\d+)/.exec(lines[start]!)![1]);
  const members = new Map<string, number>();
  for (let i = start + 1; i < lines.length && lines[i]!.startsWith('\t'); i++) {
    const m = /^\t'(\w+)' type_id=(\d+) bits_offset=(\d+)(?: bitfield_size=(\d+))?/.exec(lines[i]!);
    if (!m) continue;
    const bits = Number(m[3]);
    const end = m[4] ? Math.floor((bits + Number(m[4]) - 1) / 8) + 1 : bits / 8 + sizeOf(Number(m[2]));
    members.set(m[1]!, end);
  }
  return { size, members };
}

describe('tcp_info columns vs the running kernel (BTF)', function () {
  this.timeout(scaled(60_000));
  let k: { size: number; members: Map<string, number> };

  before(function () {
    const r = kernelTcpInfo();
    skipIf(this, typeof r === 'string', `${r}`);
    k = r as Exclude<typeof r, string>;
  });

  it('the kernel struct tcp_info has the expected shape (sanity of the BTF reading)', () => {
    expect(k.members.get('tcpi_state')).to.equal(1);
    expect(k.members.get('tcpi_rto')).to.equal(12);
    expect(k.members.size).to.be.greaterThan(50);
  });

  it('every member of the kernel struct tcp_info has a column', () => {
    const cols = new Set(POLL_COLUMNS.map((c) => c.name));
    const missing = [...k.members.keys()].filter((m) => !cols.has(m));
    expect(missing, 'tcp_info members without a column').to.deep.equal([]);
  });

  it('every tcp_info member of this kernel is a column ending where the member ends; newer columns lie past its end', () => {
    const tcpi = POLL_COLUMNS.filter((c) => c.tcpiEnd > 0);
    for (const c of tcpi) {
      if (k.members.has(c.name)) expect(c.tcpiEnd, `${c.name} ends at`).to.equal(k.members.get(c.name));
      // a member added after this kernel: zero-filled from its shorter tcp_info (counted as short_info)
      else expect(c.tcpiEnd, `${c.name} is not in this kernel's struct, so it must lie past its end`).to.be.greaterThan(k.size);
    }
    expect(tcpi.filter((c) => k.members.has(c.name)).length).to.equal(k.members.size);
    // A tcp_info of the kernel's full size decodes every member column.
    expect(Math.max(...tcpi.map((c) => c.tcpiEnd))).to.be.at.least(k.size);
  });
});
