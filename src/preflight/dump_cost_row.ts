// The "poll dump cost" row: what an empty dump costs in the namespaces
// measured (dump_cost.ts), what the chosen --interval makes of it as a share
// of a core, and what to do when that is large. Pure, like checks.ts.
import type { CheckRow } from './checks';
import type { DumpCostFacts, NsDumpCost } from './dump_cost';

/** Above this share of a core the row warns. */
export const COST_WARN_SHARE = 0.01;
/** tcp_child_ehash_entries the hint suggests */
const CHILD_EHASH = 1024;

export interface CostPlan {
  /** --interval (the adaptive poll's longest) */
  intervalMs: number;
  /** --listen-interval; 0 or not above intervalMs: listeners in every poll's dump */
  listenMs: number;
  /** --cpu-budget of the adaptive poll, when it runs */
  cpuBudget?: number;
}

export interface CostProjection {
  /** share of one core the poll's walks take at intervalMs, over every namespace */
  share: number;
  /** of which the listeners' walks */
  listenShare: number;
  /** mean ms of CPU of an empty dump (established hash) over the namespaces measured */
  walkMs: number;
  listenMs: number;
}

const measured = (f: DumpCostFacts): NsDumpCost[] => f.sampled.filter((s) => s.walkMs !== null && s.listenMs !== null);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function projectCost(f: DumpCostFacts, plan: CostPlan): CostProjection | null {
  const m = measured(f);
  if (!m.length) return null;
  const walkMs = mean(m.map((s) => s.walkMs!)),
    listenMs = mean(m.map((s) => s.listenMs!));
  const split = plan.listenMs > plan.intervalMs;
  const listenShare = (f.namespaces * listenMs) / (split ? plan.listenMs : plan.intervalMs);
  return { share: (f.namespaces * walkMs) / plan.intervalMs + listenShare, listenShare, walkMs, listenMs };
}

const count = (n: number): string => n.toLocaleString('en-US');
export const pct = (share: number): string => (share * 100 < 0.001 ? '<0.001%' : `${Number((share * 100).toPrecision(2))}%`);
const ms = (x: number): string => `${Number(x.toPrecision(2))} ms`;
const every = (t: number): string => (t % 1000 === 0 ? `${t / 1000}s` : `${Number(t.toPrecision(3))}ms`);

/** "262,144 buckets, the host's" / "its own 1,024 buckets" / "size unknown" */
function tableOf(f: DumpCostFacts, s: NsDumpCost): string {
  if (!f.perNetnsEhash) return "the host's table";
  if (s.ehash === null) return 'table size unknown';
  return s.ehash < 0 ? `the host's ${count(-s.ehash)} buckets` : `its own ${count(s.ehash)} buckets`;
}

/** "host 2.4 ms (its own 262,144 buckets), blue and 3 others 2.2-2.5 ms (the host's 262,144 buckets)" */
function grouped(f: DumpCostFacts): string {
  const groups = new Map<string, NsDumpCost[]>();
  for (const s of measured(f)) {
    const t = tableOf(f, s);
    groups.set(t, [...(groups.get(t) ?? []), s]);
  }
  return [...groups]
    .map(([table, g]) => {
      const names = g.length <= 2 ? g.map((s) => s.name).join(' and ') : `${g[0]!.name} and ${g.length - 1} others`;
      const lo = Math.min(...g.map((s) => s.walkMs!)),
        hi = Math.max(...g.map((s) => s.walkMs!));
      const range = ms(lo) === ms(hi) ? ms(lo) : `${Number(lo.toPrecision(2))}-${ms(hi)}`;
      return `${names} ${range} (${table})`;
    })
    .join(', ');
}

function sizes(f: DumpCostFacts): string {
  if (f.perNetnsEhash) {
    const child =
      f.childEhash && f.childEhash > 0
        ? `; new namespaces get their own ${count(f.childEhash)} buckets (tcp_child_ehash_entries)`
        : "; new namespaces share the host's (tcp_child_ehash_entries 0)";
    return child;
  }
  const log = f.kernelLogEhash !== null ? `${count(f.kernelLogEhash)} buckets by the kernel log` : 'size not in the kernel log';
  return `; established hash per namespace (tcp_ehash_entries): not available on this kernel (6.1+), every namespace walks the host's (${log})`;
}

const fixFor = (f: DumpCostFacts): string =>
  f.perNetnsEhash
    ? `sysctl -w net.ipv4.tcp_child_ehash_entries=${count(CHILD_EHASH)} in the namespace that creates the pods' namespaces, before it creates them ` +
      "(their dumps then walk their own small table, not the host's); or a longer --interval, or --coverage-target with --cpu-budget"
    : 'a longer --interval, or --coverage-target with --cpu-budget; Linux 6.1+ can give each pod namespace a small table of its own (net.ipv4.tcp_child_ehash_entries)';

export function dumpCostRow(f: DumpCostFacts, plan: CostPlan): CheckRow {
  const check = 'poll dump cost';
  const failed = f.sampled.filter((s) => s.error !== undefined);
  const notMeasured = failed.length ? `; not measured in ${failed.map((s) => `${s.name} (${s.error})`).join(', ')}` : '';
  const p = projectCost(f, plan);
  if (!p) return { check, status: 'warn', for: `no namespace could be dumped${notMeasured}`, fix: '' };
  const per = grouped(f);
  const split = plan.listenMs > plan.intervalMs;
  const listeners = split
    ? `, listeners every ${every(plan.listenMs)}: ${pct(p.listenShare)}`
    : `, listeners in every dump: ${pct(p.listenShare)} (--listen-interval)`;
  const nsWord = f.namespaces === 1 ? 'namespace' : 'namespaces';
  const budget =
    plan.cpuBudget !== undefined
      ? `; --cpu-budget ${pct(plan.cpuBudget)} lets the adaptive poll go no faster than every ${every(Math.max(1, (f.namespaces * p.walkMs) / plan.cpuBudget))}`
      : '';
  const text =
    `an empty dump costs ${per} of CPU${notMeasured}${sizes(f)}; ` +
    `${f.namespaces} ${nsWord} every ${every(plan.intervalMs)}: ${pct(p.share)} of a core${listeners}${budget}`;
  if (p.share > COST_WARN_SHARE) return { check, status: 'warn', for: `large: ${text}`, fix: fixFor(f) };
  return { check, status: 'ok', for: text, fix: '' };
}
