// Poll batches as rows of printable values, and the comparison of two polls'
// rows column by column (the iterator poll and the host pass against inet_diag).
import { expect } from 'chai';
import { PollSource } from '../../src/sources/poll';
import { pollView } from '../../src/run/views/poll';
import type { NetnsSelector } from '../../src/netns/select';
import { Logger } from '../../src/util/log';
import type { BatchConsumer } from '../../src/sources/poll';
import type { ColumnBatch } from '../../src/layout/batch';
import { iterAddon } from '../../src/native/iter_addon';
import { addon } from '../../src/native/addon';

export type Row = Map<string, string>;

/** Every row of the namespaces named (a name, or a set) as column -> printable value,
 * by "namespace/cookie"; cong as its name. */
export function collector(nsNames: string | ReadonlySet<string>, out: Map<string, Row>): BatchConsumer {
  const wanted = typeof nsNames === 'string' ? new Set([nsNames]) : nsNames;
  return (b: ColumnBatch, ctx) => {
    if (!wanted.has(ctx.ns.name)) return;
    for (let i = 0; i < b.rows; i++) {
      const row: Row = new Map([['ns', ctx.ns.name]]);
      for (const c of b.columns) {
        const v = b.views[c.name]!;
        if (c.type === 'b16') row.set(c.name, Buffer.from(b.b16(c.name, i)).toString('hex'));
        else row.set(c.name, String(v[i]));
      }
      const cong = Number(row.get('cong'));
      row.set('cong', cong ? (ctx.names[cong - 1] ?? '?') : '');
      out.set(`${ctx.ns.name}/${row.get('idiag_cookie')!}`, row);
    }
  };
}

/** Columns compared: what the iterator fills, but the per-pass ones. */
export function compared(): string[] {
  const skip = new Set(['ts_ns', 'attrs', 'tcpi_len', 'netns_inode']);
  return iterAddon()
    .iterProvides()
    .filter((c) => !skip.has(c));
}

/** Column name -> end of its tcp_info member (0: not tcp_info). */
let tcpiEnd: Map<string, number> | null = null;

/** The columns where the two rows differ, skipping tcp_info members past what this kernel's inet_diag sends. */
export function differences(diag: Row, other: Row, cols: readonly string[]): string[] {
  tcpiEnd ??= new Map(
    addon()
      .layout(1)
      .columns.map((c) => [c.name, c.tcpiEnd]),
  );
  const len = Number(diag.get('tcpi_len'));
  return cols
    .filter((c) => (tcpiEnd!.get(c) ?? 0) <= len && diag.get(c) !== other.get(c))
    .map((c) => `${c}: diag ${diag.get(c)} other ${other.get(c)}`);
}

/** Opens run's poll view with --poll-via `via` while TCPLENS_TEST_REFUSE has
 * the loader refuse `refuse`: the view must fall back to the inet_diag
 * source; returns what it warned. */
export function pollFallbackWarnings(via: 'iter' | 'host', netns: NetnsSelector, refuse: string): string {
  const before = process.env.TCPLENS_TEST_REFUSE;
  process.env.TCPLENS_TEST_REFUSE = refuse;
  const warned: string[] = [];
  const log = new Logger({ level: 'warn', write: (l: string) => warned.push(l) });
  try {
    const req = { wanted: new Set(['poll']), netns, intervalMs: 1000, drainMs: 200, sampleHz: 0, ownersMs: 0, ringBytes: 0 };
    const opened = pollView.open({ ...req, changesOnly: false, pollVia: via }, log);
    const v = opened!.views[0] as unknown as { source: unknown; close(): void };
    expect(v.source).to.be.instanceOf(PollSource);
    v.close();
  } finally {
    if (before === undefined) delete process.env.TCPLENS_TEST_REFUSE;
    else process.env.TCPLENS_TEST_REFUSE = before;
  }
  return warned.join('\n');
}
