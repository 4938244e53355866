// `tcplens run`'s adaptive-poll flags (--coverage-target, --cpu-budget,
// --min-interval) and --poll-phase, checked and turned into what the poll
// view and the sidecar take.
import { usage } from '../util/errors';
import { parseDuration, parseShare } from '../util/units';
import { AdaptiveInterval } from './adaptive';

export interface AdaptiveFlags {
  coverageTarget?: string;
  cpuBudget: string;
  minInterval: string;
}

/** The controller, or undefined without --coverage-target. It learns
 * lifetimes from the events view's closes, so it needs that view. */
export function adaptiveFromArgs(a: AdaptiveFlags, intervalMs: number, views: ReadonlySet<string>): AdaptiveInterval | undefined {
  if (a.coverageTarget === undefined) return undefined;
  const target = parseShare(a.coverageTarget, 'coverage-target');
  const cpuBudget = parseShare(a.cpuBudget, 'cpu-budget');
  const minMs = parseDuration(a.minInterval, 'min-interval');
  if (minMs > intervalMs) throw usage(`--min-interval: ${a.minInterval} is longer than --interval`);
  if (!views.has('events'))
    throw usage('--coverage-target: the adaptive poll learns lifetimes from the events view: add events to --views');
  return new AdaptiveInterval({ target, cpuBudget, initialMs: intervalMs, minMs, maxMs: intervalMs });
}

/** --poll-phase: none = 0; random = a uniform share of the first interval. */
export function pollPhaseMs(mode: string, intervalMs: number, random: () => number = Math.random): number {
  if (mode === 'none') return 0;
  if (mode === 'random') return random() * intervalMs;
  throw usage(`--poll-phase: none or random expected, got '${mode}'`);
}
