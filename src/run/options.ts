// `tcplens run` settings: the sink's flags (src/sinks/options.ts), the
// metrics server's (src/metrics/flags.ts) and run's own. Every flag may also
// come from a key of the --config JSON file or from a TCPLENS_* environment
// variable (TCPLENS_ + the flag in capitals, '-' as '_'), in that order of
// precedence (src/config/env.ts names every variable; src/config/file.ts reads
// the file). Credentials are never flags: TCPLENS_CLICKHOUSE_USER /
// TCPLENS_CLICKHOUSE_PASSWORD(_FILE) or --clickhouse-password-file.
import type { Argv, Options } from 'yargs';
import { sinkOptions, type SinkFlags } from '../sinks/options';
import { metricsFlags, type MetricsFlags } from '../metrics/flags';
import { usage } from '../util/errors';
import { clip, envBoolean, envName, envNumber } from '../config/env';
import { loadConfigFile } from '../config/file';
import { optionTypes, yargsOptions, type OptionType, type OptionTypes } from '../config/option_types';

export const RUN_OPTIONS: Record<string, Options> = {
  interval: { type: 'string', default: '10s', describe: 'poll every DURATION' },
  netns: { type: 'string', default: 'all', describe: 'namespaces: all, host, a name under /run/netns, or a path; comma-separated' },
  cluster: {
    type: 'string',
    describe:
      'write into the fleet schema of ClickHouse cluster NAME (Distributed tables); the operator applies it once (tcplens schema apply --cluster NAME), so the sidecar does not',
  },
  duration: { type: 'string', describe: 'stop after DURATION, flushing everything (default: run until SIGTERM/SIGINT)' },
  views: { type: 'string', default: 'poll,destroy,events,samples', describe: 'views to run when this host allows them' },
  'changes-only': {
    type: 'boolean',
    default: false,
    describe: 'tcp_snapshots: only sockets whose state or counters moved since their previous poll',
  },
  'poll-via': {
    type: 'string',
    choices: ['diag', 'iter', 'host'],
    default: 'diag',
    describe:
      "how the poll reads sockets: diag (inet_diag dump per namespace), iter (an eBPF iter/tcp program per namespace reading tcp_sock, cheaper; fewer fields, see docs/views.md) or host (one eBPF pass over every process's sockets for all namespaces, plus iter/tcp walks for sockets no process holds: many namespaces); iter and host fall back to diag, saying why, where the kernel refuses them",
  },
  'host-sweep': {
    type: 'number',
    default: 10,
    describe: 'with --poll-via host: walk the namespaces for sockets no process holds (TIME_WAIT, orphans) every N polls (0: never)',
  },
  'listen-interval': {
    type: 'string',
    default: '30s',
    describe:
      "how often listeners are polled, in a dump of their own: the poll's dumps then skip the kernel's listening hash (and bound-only sockets, 6.5+, are not polled: their walk is of the host's bind hash); 'every' (or a value not above --interval): every state in every poll's dump, as tcplens poll",
  },
  'sample-hz': {
    type: 'number',
    default: 1,
    describe: 'task samples per second (samples view; while passes find nothing and nothing happens, one every 10 s)',
  },
  'owners-interval': {
    type: 'string',
    default: '60s',
    describe:
      'how often the socket -> process map is rebuilt (a walk of every fd of every process) when a view saw a new socket since the last rebuild, and at least every 10 intervals; with --netns naming namespaces, only their sockets are written; new flows get their owner from the events view meanwhile',
  },
  'drain-interval': {
    type: 'string',
    default: '200ms',
    describe: 'the destroy and events views are emptied when something came, at most this often',
  },
  'ring-bytes': {
    type: 'string',
    // 2 MiB: the reader thread empties it from an eighth on; mapped twice, so
    // each MiB is 2 MB of RSS (8 MiB was 16 MB of an empty run's 119)
    default: '2MiB',
    describe:
      'events view ring buffer, a power of two: what a burst of events may fill before the reader thread empties it, else events are lost (counted)',
  },
  filter: {
    type: 'string',
    describe:
      "poll only the sockets this selects, filtered in the kernel; ss's syntax: [state|exclude STATE]... then sport/dport OP :PORT, src/dst ADDR[/LEN][:PORT], and/or/not",
  },
  'snapshot-on': {
    type: 'string',
    describe:
      'targeted snapshots: when the events view sees TRIGGER[:DELAY] (open, retransmit, reset; e.g. open:50ms,retransmit,reset), ask inet_diag for that one socket (tcp_snapshots, view targeted)',
  },
  'coverage-target': {
    type: 'string',
    describe:
      'adaptive poll: choose the interval after every cycle so that this share of flows (e.g. 90% or 0.9) is polled at least once, by the lifetimes the events view saw close; --interval is the first and the longest',
  },
  'cpu-budget': {
    type: 'string',
    default: '1%',
    describe: "adaptive poll: the share of one CPU the poll cycles may use; the interval is never shorter than a cycle's CPU over it",
  },
  'min-interval': { type: 'string', default: '50ms', describe: 'adaptive poll: the shortest interval it may choose' },
  'poll-phase': {
    type: 'string',
    default: 'none',
    describe: 'random: wait a random share of the first interval before the first poll, so that a fleet does not poll in lockstep',
  },
  'snapshot-rate': { type: 'number', default: 1000, describe: 'targeted snapshots per second at most; past it they are dropped (counted)' },
  'max-flows': {
    type: 'number',
    default: 1_000_000,
    describe: 'open flows kept at most; past it the least recently seen are evicted (counted)',
  },
  host: { type: 'string', describe: 'host name written with every row (default: os.hostname())' },
  'drop-caps': {
    type: 'boolean',
    default: true,
    describe: 'once the views are open, keep only the capabilities they still need (docs/capabilities.md); --no-drop-caps keeps all',
  },
  user: {
    type: 'string',
    describe:
      'once the views are open, run on as this user (the spool directory is handed to it), keeping only the capabilities the views need',
  },
  health: {
    type: 'boolean',
    default: true,
    describe: 'TCP health metrics (tcplens_health_*: segments, retransmits, resets, connects, RTT per side), from the flow table',
  },
  'health-by': {
    type: 'string',
    default: '',
    describe: 'health breakdowns to add, comma-separated: port (local listening port), comm, cgroup, peer (needs --health-peers)',
  },
  'health-peers': {
    type: 'string',
    describe: 'peer groups for the peer breakdown: CIDR=NAME,... (e.g. 10.0.0.0/8=dc1,192.168.0.0/16=office); other peers are "other"',
  },
  'health-max-series': {
    type: 'number',
    default: 2000,
    describe: 'series the health breakdowns may add at most; flows past it are left out of the breakdown (counted)',
  },
};

export { envName };

/** An environment value in the option's type; one clear error otherwise. */
function fromEnv(name: string, type: OptionType, raw: string): unknown {
  if (type === 'number') return envNumber(name, raw);
  if (type === 'boolean') return envBoolean(name, raw);
  return raw;
}

/** Every flag defined so far takes its default from TCPLENS_<FLAG> when set;
 * a value that cannot be used is pushed onto `problems` (a builder cannot
 * fail cleanly in yargs: withRunOptions reports the first in a check). */
export function envDefaults<T>(y: Argv<T>, env: NodeJS.ProcessEnv = process.env, problems: string[] = []): Argv<T> {
  const t = optionTypes(yargsOptions(y as Argv<unknown>));
  let out = y;
  for (const [flag, type] of t.types) {
    const raw = env[envName(flag)];
    if (raw === undefined || raw === '' || flag === 'config') continue;
    try {
      const v = fromEnv(envName(flag), type, raw);
      const choices = t.choices.get(flag);
      if (choices && !choices.includes(v)) throw usage(`${envName(flag)}: "${clip(raw)}" is not one of ${choices.join(', ')}`);
      out = out.default(flag, v);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return out;
}

export function withRunOptions(y: Argv, env: NodeJS.ProcessEnv = process.env): Argv<RunArgs> {
  const all = metricsFlags(sinkOptions(y.options(RUN_OPTIONS)));
  const problems: string[] = [];
  // the file's keys and value types are the options' own, read when the file is
  const types = (): OptionTypes => optionTypes(yargsOptions(all as Argv<unknown>));
  return envDefaults(all, env, problems)
    .config(
      'config',
      'JSON file of settings, keys named as the flags (flags win over it, it wins over TCPLENS_* variables)',
      (file: string) => loadConfigFile(file, types()),
    )
    .check((argv) => {
      if (problems.length) throw usage(problems[0]!);
      if (argv['config'] === '') throw usage('--config: name a JSON file of settings'); // yargs would read none
      return true;
    })
    .epilogue(
      'Every flag can also be set as TCPLENS_<FLAG> (e.g. TCPLENS_INTERVAL=5s, TCPLENS_CLICKHOUSE_URL=http://ch:8123).',
    ) as unknown as Argv<RunArgs>;
}

export interface RunArgs extends SinkFlags, MetricsFlags {
  interval: string;
  netns: string;
  cluster?: string;
  duration?: string;
  views: string;
  changesOnly: boolean;
  pollVia: 'diag' | 'iter' | 'host';
  hostSweep: number;
  listenInterval: string;
  sampleHz: number;
  ownersInterval: string;
  drainInterval: string;
  ringBytes: string;
  maxFlows: number;
  host?: string;
  dropCaps: boolean;
  user?: string;
  health: boolean;
  healthBy: string;
  healthPeers?: string;
  healthMaxSeries: number;
  snapshotOn?: string;
  snapshotRate: number;
  coverageTarget?: string;
  cpuBudget: string;
  minInterval: string;
  pollPhase: string;
  filter?: string;
}
