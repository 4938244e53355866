// Preflight: can tcplens run here, and which views will be degraded or off.
// `tcplens preflight` prints it; long-running commands run it at start and
// log the warnings once (logPreflightOnce) instead of failing later.
import { decideChecks, decideParts, decideViews, type CheckOptions } from './checks';
import { gatherFacts } from './facts';
import { verdictOf, type PreflightReport } from './report';
import { measureDumpCost, type DumpCostOptions } from './dump_cost';
import { dumpCostRow, projectCost, type CostPlan } from './dump_cost_row';
import type { NetnsSelector } from '../netns/select';

export type { CheckRow, CheckOptions, Status, ViewState, Views } from './checks';
export type { CostPlan } from './dump_cost_row';
export { exitCodeOf, logPreflightOnce, renderJson, renderTable, type PreflightReport, type Verdict } from './report';

export function runPreflight(opts: CheckOptions = {}): PreflightReport {
  const facts = gatherFacts();
  const checks = decideChecks(facts, opts);
  return { verdict: verdictOf(checks), checks, views: decideViews(facts), parts: decideParts(facts) };
}

/** Measures what an empty dump costs in the watched namespaces (the host's
 * and a sample of the others) and adds its row, after the inet_diag row, and
 * its figures to the report. Nothing when the poll cannot dump at all (its own row says so). */
export async function addDumpCost(
  report: PreflightReport,
  netns: NetnsSelector,
  plan: CostPlan,
  opts: DumpCostOptions = {},
): Promise<PreflightReport> {
  if (report.views.poll === 'off') return report;
  const facts = await measureDumpCost(netns, opts);
  const row = dumpCostRow(facts, plan);
  const checks = [...report.checks];
  const at = checks.findIndex((c) => c.check === 'inet_diag dump');
  checks.splice(at + 1, 0, row);
  return { ...report, checks, verdict: verdictOf(checks), dumpCost: { ...facts, plan, projection: projectCost(facts, plan) } };
}
