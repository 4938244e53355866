// The command-line flags of the metrics server and logs, for `tcplens run`
// (or any long-running command): --listen, --debug-endpoints, --log-level.
import type { Argv } from 'yargs';
import { LEVELS, log, parseLevel, type Level } from '../util/log';
import { DEFAULT_LISTEN, parseListen, type MetricsOptions } from './server';

export interface MetricsFlags {
  listen: string;
  debugEndpoints?: boolean;
  logLevel: string;
  bpfStats: boolean;
}

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
      type: 'boolean',
      default: true,
      describe:
        'count run time of our BPF programs (BPF_ENABLE_STATS while we run; measured +0.08-0.16 us per program run here: bench/metrics)',
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
  return { listen: f.listen, debug: f.debugEndpoints === true, bpfStats: f.bpfStats, logger: log };
}
