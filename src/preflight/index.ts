// Preflight: can tcplens run here, and which views will be degraded or off.
// `tcplens preflight` prints it; long-running commands run it at start and
// log the warnings once (logPreflightOnce) instead of failing later.
import { decideChecks, decideParts, decideViews, type CheckOptions } from './checks';
import { gatherFacts } from './facts';
import { verdictOf, type PreflightReport } from './report';

export type { CheckRow, CheckOptions, Status, ViewState, Views } from './checks';
export { exitCodeOf, logPreflightOnce, renderJson, renderTable, type PreflightReport, type Verdict } from './report';

export function runPreflight(opts: CheckOptions = {}): PreflightReport {
  const facts = gatherFacts();
  const checks = decideChecks(facts, opts);
  return { verdict: verdictOf(checks), checks, views: decideViews(facts), parts: decideParts(facts) };
}
