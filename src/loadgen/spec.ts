// The workload SPEC: "rate=200,duration=exp:50ms,bytes=4k,flows=1000,seed=1".
// One parser for `tcplens loadgen SPEC` and `tcplens compare --loadgen SPEC`;
// every mistake is one line naming the key and what would be accepted.
import { listItems } from '../util/list';
import { usage } from '../util/errors';
import { durationMs, sizeBytes } from '../util/units';

/** How long a flow stays open, connect to close. All times in ms. */
export type DurationDist =
  | { kind: 'fixed'; ms: number }
  | { kind: 'exp'; meanMs: number }
  | { kind: 'lognormal'; medianMs: number; sigma: number }
  /** many short flows plus a share `longFraction` of long ones */
  | { kind: 'bimodal'; shortMs: number; longMs: number; longFraction: number };

export interface LoadSpec {
  /** new flows per second */
  rate: number;
  flows: number;
  duration: DurationDist;
  /** the second half of the flows draw their durations from this: a workload that changes mid-run */
  then?: DurationDist;
  /** payload bytes client -> server and server -> client, per flow */
  up: number;
  down: number;
  seed: number;
  /** even: one flow every 1/rate s; poisson: exponential gaps with mean 1/rate */
  arrival: 'even' | 'poisson';
  family: 4 | 6;
}

export const SPEC_HELP =
  'SPEC is key=value[,key=value...]: rate=N (flows/s), flows=N, duration=5ms|fixed:5ms|exp:MEAN|lognormal:MEDIAN:SIGMA|bimodal:SHORT:LONG:FRACTION, then=DURATION (the second half of the flows), ' +
  'bytes=SIZE|UP/DOWN (4k, 1m, 100), seed=N, arrival=poisson|even, family=4|6';

export const DEFAULT_SPEC: LoadSpec = {
  rate: 100,
  flows: 1000,
  duration: { kind: 'fixed', ms: 50 },
  up: 4096,
  down: 4096,
  seed: 1,
  arrival: 'poisson',
  family: 4,
};

/** The most a spec may ask for: one process holds at most ~20k sockets and
 * a namespace has ~28k ephemeral ports (TIME_WAIT holds them for 60 s). */
const MAX_FLOWS = 1_000_000;
const MAX_RATE = 20_000;
const MAX_BYTES = 1 << 30;

const bad = (what: string): Error => usage(`--loadgen: ${what} (${SPEC_HELP})`);

/** "5ms", "1.5s", "250us" -> ms; a bare number is ms. */
export function parseSpecDuration(text: string, key: string): number {
  const ms = durationMs(text, 'ms');
  if (ms === null) throw bad(`${key}: "${text}" is not a duration like 5ms, 1.5s or 250us`);
  if (!(ms > 0)) throw bad(`${key}: must be greater than zero`);
  return ms;
}

/** "4k" -> 4096, "1m" -> 1048576, "100" -> 100. */
export function parseSize(text: string, key: string): number {
  const n = sizeBytes(text);
  if (n === null) throw bad(`${key}: "${text}" is not a byte count like 100, 4k or 1m`);
  if (n > MAX_BYTES) throw bad(`${key}: at most 1g per direction`);
  return n;
}

function parseCount(text: string, key: string, min: number, max: number): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw bad(`${key}: "${text}" is not a number`);
  const n = Number(text);
  if (n < min || n > max) throw bad(`${key}: must be between ${min} and ${max}`);
  return n;
}

function parseDist(text: string): DurationDist {
  const [kind, ...args] = text.split(':');
  const need = (n: number, form: string): void => {
    if (args.length !== n) throw bad(`duration: "${text}" must look like ${form}`);
  };
  switch (kind) {
    case 'fixed':
      need(1, 'fixed:5ms');
      return { kind: 'fixed', ms: parseSpecDuration(args[0]!, 'duration') };
    case 'exp':
      need(1, 'exp:MEAN (e.g. exp:50ms)');
      return { kind: 'exp', meanMs: parseSpecDuration(args[0]!, 'duration') };
    case 'lognormal': {
      need(2, 'lognormal:MEDIAN:SIGMA (e.g. lognormal:20ms:1)');
      const sigma = Number(args[1]);
      if (!(sigma > 0 && sigma <= 5)) throw bad(`duration: lognormal SIGMA "${args[1]}" must be in (0, 5]`);
      return { kind: 'lognormal', medianMs: parseSpecDuration(args[0]!, 'duration'), sigma };
    }
    case 'bimodal': {
      need(3, 'bimodal:SHORT:LONG:FRACTION (e.g. bimodal:5ms:2s:0.05)');
      const longFraction = Number(args[2]);
      if (!(longFraction >= 0 && longFraction <= 1)) throw bad(`duration: bimodal FRACTION "${args[2]}" must be in [0, 1]`);
      return {
        kind: 'bimodal',
        shortMs: parseSpecDuration(args[0]!, 'duration'),
        longMs: parseSpecDuration(args[1]!, 'duration'),
        longFraction,
      };
    }
    default:
      if (args.length === 0) return { kind: 'fixed', ms: parseSpecDuration(text, 'duration') };
      throw bad(`duration: unknown distribution "${kind}" (fixed, exp, lognormal, bimodal)`);
  }
}

const KEYS = ['rate', 'flows', 'duration', 'then', 'bytes', 'seed', 'arrival', 'family'] as const;

export function parseSpec(text: string): LoadSpec {
  const spec: LoadSpec = { ...DEFAULT_SPEC };
  const seen = new Set<string>();
  for (const part of listItems(text)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw bad(`"${part}" is not key=value`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!(KEYS as readonly string[]).includes(key)) throw bad(`unknown key "${key}" (known: ${KEYS.join(', ')})`);
    if (seen.has(key)) throw bad(`"${key}" given twice`);
    seen.add(key);
    switch (key) {
      case 'rate':
        spec.rate = parseCount(value, key, 0.001, MAX_RATE);
        break;
      case 'flows':
        spec.flows = Math.trunc(parseCount(value, key, 1, MAX_FLOWS));
        break;
      case 'seed':
        spec.seed = Math.trunc(parseCount(value, key, 0, 2 ** 53 - 1));
        break;
      case 'duration':
        spec.duration = parseDist(value);
        break;
      case 'then':
        spec.then = parseDist(value);
        break;
      case 'bytes': {
        const [up, down, extra] = value.split('/');
        if (extra !== undefined) throw bad(`bytes: "${value}" must be SIZE or UP/DOWN`);
        spec.up = parseSize(up!, key);
        spec.down = down === undefined ? spec.up : parseSize(down, key);
        break;
      }
      case 'arrival':
        if (value !== 'even' && value !== 'poisson') throw bad(`arrival: "${value}" must be even or poisson`);
        spec.arrival = value;
        break;
      case 'family':
        if (value !== '4' && value !== '6') throw bad(`family: "${value}" must be 4 or 6`);
        spec.family = value === '4' ? 4 : 6;
        break;
    }
  }
  if (seen.size === 0) throw bad('empty');
  return spec;
}

export function formatDist(d: DurationDist): string {
  switch (d.kind) {
    case 'fixed':
      return `fixed:${d.ms}ms`;
    case 'exp':
      return `exp:${d.meanMs}ms`;
    case 'lognormal':
      return `lognormal:${d.medianMs}ms:${d.sigma}`;
    case 'bimodal':
      return `bimodal:${d.shortMs}ms:${d.longMs}ms:${d.longFraction}`;
  }
}

/** The canonical text of a spec (what parseSpec reads back to the same spec). */
export function formatSpec(s: LoadSpec): string {
  return `rate=${s.rate},flows=${s.flows},duration=${formatDist(s.duration)}${s.then ? `,then=${formatDist(s.then)}` : ''},bytes=${s.up}/${s.down},seed=${s.seed},arrival=${s.arrival},family=${s.family}`;
}
