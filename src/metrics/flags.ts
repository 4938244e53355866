// The command-line flags of the metrics server and logs, for `tcplens run`
// (or any long-running command): --listen, --debug-endpoints, --log-level.
import type { Argv } from 'yargs';
import { LEVELS, log, parseLevel, type Level } from '../util/log';
import { DEFAULT_LISTEN, parseListen, type MetricsOptions } from './server';
import type { StatsWindow } from './bpf_stats';
import { parseDuration } from '../util/units';
import { usage } from '../util/errors';

export interface MetricsFlags {
  listen: string;
  debugEndpoints?: boolean;
  logLevel: string;
  /** 'on', 'off', FOR/EVERY; false from --no-bpf-stats */
  bpfStats: string | boolean;
}

/** BPF run-time stats held FOR of every EVERY unless told otherwise */
export const DEFAULT_BPF_STATS = '10s/5m';

export function metricsFlags<T>(y: Argv<T>): Argv<T & MetricsFlags> {
  return y
    .option('listen', {
      type: 'string',
      default: DEFAULT_LISTEN,
      describe: 'metrics and health HTTP server: HOST:PORT (/metrics, /healthz, /readyz)',
    })
    .option('debug-endpoints', {
      type: 'boolean',
      describe: 'also serve /debug/profile?seconds=N (V8 CPU profile) and /debug/heap (heap snapshot)',
    })
    .option('bpf-stats', {
      type: 'string',
      default: DEFAULT_BPF_STATS,
      describe:
        "time our BPF programs (BPF_ENABLE_STATS): FOR/EVERY holds it FOR of every EVERY, 'on' the whole run, 'off' never. " +
        'While held the kernel times every BPF program of the host, ours or not (+0.08-0.16 us a run here: bench/metrics)',
    })
    .option('log-level', {
      type: 'string',
      choices: LEVELS,
      default: 'info' as Level,
      describe: 'JSON logs on stderr from this level up',
    }) as unknown as Argv<T & MetricsFlags>;
}

/** Validates the flags (one clear error line each), sets the log level, and
 * returns the options for startMetrics. */
export function metricsOptions(f: MetricsFlags): MetricsOptions {
  parseListen(f.listen);
  log.setLevel(parseLevel(f.logLevel));
  return { listen: f.listen, debug: f.debugEndpoints === true, bpfStats: parseBpfStats(f.bpfStats), logger: log };
}

/** --bpf-stats: 'on' (true), 'off' or --no-bpf-stats (false), or FOR/EVERY (FOR < EVERY). */
export function parseBpfStats(v: string | boolean): boolean | StatsWindow {
  if (typeof v === 'boolean') return v;
  if (v === 'on' || v === 'off') return v === 'on';
  const m = /^([^/]+)\/([^/]+)$/.exec(v);
  if (!m) throw usage(`--bpf-stats: "${v}" is not on, off or FOR/EVERY (e.g. ${DEFAULT_BPF_STATS})`);
  const forMs = parseDuration(m[1]!, 'bpf-stats'),
    everyMs = parseDuration(m[2]!, 'bpf-stats');
  if (forMs >= everyMs) throw usage(`--bpf-stats: FOR (${m[1]}) must be shorter than EVERY (${m[2]}); 'on' holds it all the time`);
  return { forMs, everyMs };
}
