// "1s", "250ms", "2m", "1h", "1.5s" -> milliseconds. A bare number is seconds.
import { usage } from './errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, flag = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(text));
  if (!m) throw usage(`--${flag}: "${text}" is not a duration (examples: 500ms, 1s, 2m)`);
  const ms = Number(m[1]) * UNITS[m[2] ?? 's']!;
  if (!(ms > 0)) throw usage(`--${flag}: must be greater than zero`);
  return ms;
}
