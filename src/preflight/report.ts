// The preflight report: verdict, table for people, JSON for machines, and the
// once-per-process log lines of long-running commands.
import type { CheckRow, Views } from './checks';
import type { ViewPart } from '../native/addon';
import type { DumpCostFacts } from './dump_cost';
import type { CostPlan, CostProjection } from './dump_cost_row';

export type Verdict = 'ok' | 'degraded' | 'fatal';

export interface PreflightReport {
  verdict: Verdict;
  checks: CheckRow[];
  views: Views;
  /** each part of the eBPF views: the variant that loaded, or off and why */
  parts: { events: ViewPart[]; samples: ViewPart[]; iter?: ViewPart[] };
  /** what a dump costs before it finds a socket, measured (addDumpCost), and what the plan makes of it */
  dumpCost?: DumpCostFacts & { plan: CostPlan; projection: CostProjection | null };
}

export function verdictOf(checks: readonly CheckRow[]): Verdict {
  if (checks.some((c) => c.status === 'fatal')) return 'fatal';
  return checks.some((c) => c.status === 'warn') ? 'degraded' : 'ok';
}

/** Exit status of `tcplens preflight`: 1 only when tcplens cannot run. */
export const exitCodeOf = (r: PreflightReport): number => (r.verdict === 'fatal' ? 1 : 0);

export const renderJson = (r: PreflightReport): string => `${JSON.stringify(r, null, 2)}\n`;

/** Greedy word wrap; words longer than the width are cut. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      if (cur) {
        lines.push(cur);
        cur = '';
      }
      lines.push(word.slice(0, width));
      word = word.slice(width);
    }
    if (!cur) cur = word;
    else if (cur.length + 1 + word.length <= width) cur += ` ${word}`;
    else {
      lines.push(cur);
      cur = word;
    }
  }
  if (cur || lines.length === 0) lines.push(cur);
  return lines;
}

const GAP = '  ';

/** check | status | for | fix, wrapped to `width` columns (default 110). */
export function renderTable(r: PreflightReport, width = 110): string {
  const head: CheckRow = { check: 'check', status: 'ok', for: 'for', fix: 'fix' };
  const wCheck = Math.min(24, Math.max(5, ...r.checks.map((c) => c.check.length)));
  const wStatus = 6;
  const rest = Math.max(30, width - wCheck - wStatus - 3 * GAP.length);
  const wFor = Math.ceil(rest * 0.55);
  const wFix = rest - wFor;
  const out: string[] = [];
  const emit = (c: CheckRow, status: string): void => {
    const cols = [wrap(c.check, wCheck), [status], wrap(c.for, wFor), wrap(c.fix || '-', wFix)];
    const n = Math.max(...cols.map((l) => l.length));
    for (let i = 0; i < n; i++) {
      const cells = [wCheck, wStatus, wFor, wFix].map((w, j) => (cols[j]![i] ?? '').padEnd(w));
      out.push(cells.join(GAP).trimEnd());
    }
  };
  emit(head, 'status');
  out.push('-'.repeat(Math.min(width, wCheck + wStatus + wFor + wFix + 3 * GAP.length)));
  for (const c of r.checks) emit(c, c.status);
  const v = r.views;
  out.push('');
  out.push(
    `verdict: ${r.verdict}   views: poll ${v.poll}, destroy ${v.destroy}, events ${v.events}, ` + `samples ${v.samples}, netns ${v.netns}`,
  );
  return `${out.join('\n')}\n`;
}

/** One log line per warn/fatal row. */
export const logLine = (c: CheckRow): string => `tcplens: preflight ${c.status} ${c.check} ${c.for}${c.fix ? ` (fix: ${c.fix})` : ''}`;

// Lines already written by this process: a long-running command that re-runs
// the preflight says each problem once, and a new one when it appears.
const logged = new Set<string>();

/** Writes the warn/fatal rows not yet written by this process; returns how many. */
export function logPreflightOnce(report: PreflightReport, write: (line: string) => void): number {
  let n = 0;
  for (const c of report.checks) {
    if (c.status === 'ok') continue;
    const line = logLine(c);
    if (logged.has(line)) continue;
    logged.add(line);
    write(line);
    n++;
  }
  return n;
}
