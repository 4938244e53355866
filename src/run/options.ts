// `tcplens run` settings: each is a flag, a key of the --config JSON file,
// or a TCPLENS_* environment variable, in that order of precedence. Credentials are never
// flags: TCPLENS_CLICKHOUSE_USER / TCPLENS_CLICKHOUSE_PASSWORD or
// --clickhouse-password-file (see src/sinks/clickhouse/config.ts).
import type { Argv, Options } from 'yargs';

/** flag name -> yargs option; the env variable is TCPLENS_ + NAME_IN_CAPS. */
const RUN_OPTIONS: Record<string, Options> = {
  interval: { type: 'string', default: '10s', describe: 'poll every DURATION' },
  netns: { type: 'string', default: 'all', describe: 'namespaces: all, host, a name under /run/netns, or a path; comma-separated' },
  sink: { type: 'string', default: 'clickhouse', describe: 'clickhouse, stdout (ndjson), or file:PATH (length-delimited protobuf)' },
  'clickhouse-url': { type: 'string', describe: 'ClickHouse HTTP URL; unset: start (or reuse) a local server with its data under --data-dir' },
  'clickhouse-password-file': { type: 'string', describe: 'file holding the ClickHouse password (or set TCPLENS_CLICKHOUSE_PASSWORD)' },
  database: { type: 'string', default: 'tcplens', describe: 'ClickHouse database' },
  cluster: {
    type: 'string',
    describe: 'write into the fleet schema of ClickHouse cluster NAME (Distributed tables); the schema is applied once by the operator (tcplens schema apply --cluster NAME), not by every sidecar',
  },
  'ttl-days': { type: 'number', default: 30, describe: 'days ClickHouse keeps rows (0 = forever)' },
  duration: { type: 'string', describe: 'stop after DURATION, flushing everything (default: run until SIGTERM/SIGINT)' },
  views: { type: 'string', default: 'poll,destroy,events,samples', describe: 'views to run when this host allows them' },
  'changes-only': { type: 'boolean', default: false, describe: 'tcp_snapshots: only sockets whose state or counters moved since their previous poll' },
  'sample-hz': { type: 'number', default: 1, describe: 'task samples per second (samples view)' },
  'drain-interval': { type: 'string', default: '200ms', describe: 'how often the destroy and events views are emptied' },
  'max-flows': { type: 'number', default: 1_000_000, describe: 'open flows kept at most; past it the least recently seen are evicted (counted)' },
  'data-dir': { type: 'string', default: '.tcplens', describe: 'where the spool and the local ClickHouse keep their files' },
  'spool-bytes': { type: 'number', default: 1 << 30, describe: 'disk budget of the spool while ClickHouse is unreachable; past it batches are dropped (counted)' },
  listen: { type: 'string', default: '127.0.0.1:9088', describe: 'HTTP address of /metrics, /healthz, /readyz' },
  'debug-endpoints': { type: 'boolean', default: false, describe: 'serve /debug/profile and /debug/heap' },
  'log-level': { choices: ['debug', 'info', 'warn', 'error'], default: 'info', describe: 'log level (JSON lines on stderr)' },
  host: { type: 'string', describe: 'host name written with every row (default: os.hostname())' },
};

export const envName = (flag: string): string => `TCPLENS_${flag.replace(/-/g, '_').toUpperCase()}`;

/** Coerces an environment value to the option's type; throws on nonsense. */
function fromEnv(flag: string, o: Options, raw: string): unknown {
  if (o.type === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`${envName(flag)}: "${raw}" is not a number`);
    return n;
  }
  if (o.type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error(`${envName(flag)}: "${raw}" is not a boolean (true/false)`);
  }
  return raw;
}

export function withRunOptions(y: Argv, env: NodeJS.ProcessEnv = process.env): Argv {
  let out = y;
  for (const [flag, o] of Object.entries(RUN_OPTIONS)) {
    const raw = env[envName(flag)];
    const opt: Options = { ...o, describe: `${o.describe} [env ${envName(flag)}]` };
    if (raw !== undefined && raw !== '') opt.default = fromEnv(flag, o, raw);
    out = out.option(flag, opt);
  }
  return out.config('config', 'JSON file of settings, keys named as the flags (flags win over it, it wins over TCPLENS_* variables)');
}

export interface RunArgs {
  interval: string;
  netns: string;
  sink: string;
  clickhouseUrl?: string;
  clickhousePasswordFile?: string;
  database: string;
  cluster?: string;
  ttlDays: number;
  duration?: string;
  views: string;
  changesOnly: boolean;
  sampleHz: number;
  drainInterval: string;
  maxFlows: number;
  dataDir: string;
  spoolBytes: number;
  listen: string;
  debugEndpoints: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  host?: string;
}
