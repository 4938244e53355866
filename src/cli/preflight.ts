// tcplens preflight: what can work on this host, and how to fix what cannot.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { parseNetnsSelector } from '../netns/select';
import { addDumpCost, exitCodeOf, renderJson, renderTable, runPreflight } from '../preflight';
import { parseDuration } from '../util/units';
import { parseListenInterval } from '../run/listen_interval';

interface PreflightArgs {
  json?: boolean;
  netns: string;
  interval: string;
  listenInterval: string;
}

export const command = 'preflight';
export const describe = 'Check capabilities, limits, mounts and the kernel views; exit 1 when tcplens cannot run';

export const builder = (y: Argv): Argv<PreflightArgs> =>
  y
    .option('json', { type: 'boolean', describe: 'print { verdict, checks, views } as JSON' })
    .option('netns', {
      type: 'string',
      default: 'all',
      describe: 'the namespaces you mean to watch: with only "host", CAP_SYS_ADMIN and CAP_SYS_PTRACE are not needed',
    })
    .option('interval', {
      type: 'string',
      default: '10s',
      describe: "the poll interval you mean to run: the 'poll dump cost' row says what it costs as a share of a core",
    })
    .option('listen-interval', {
      type: 'string',
      default: '30s',
      describe: "the --listen-interval you mean to run ('every': listeners in every dump)",
    })
    .example('$0 preflight --interval 100ms', 'what polling every 100 ms costs here before it finds a socket')
    .example('$0 preflight', 'a table: check, status, what it is for, how to fix it')
    .example('$0 preflight --json', 'the same as JSON, with a verdict per view') as unknown as Argv<PreflightArgs>;

/** Every flag of `tcplens preflight` checked and parsed, before anything starts. */
export function validate(args: PreflightArgs) {
  const sel = parseNetnsSelector(args.netns);
  const plan = { intervalMs: parseDuration(args.interval, 'interval'), listenMs: parseListenInterval(args.listenInterval) };
  return { sel, plan };
}

export async function handler(args: ArgumentsCamelCase<PreflightArgs>): Promise<void> {
  const { sel, plan } = validate(args);
  const netnsAll = !(sel.kind === 'list' && sel.items.every((i) => i === 'host'));
  const base = runPreflight({ netnsAll });
  // without CAP_SYS_ADMIN only our own namespace can be dumped, as run then does
  const report = await addDumpCost(base, base.views.netns === 'own' ? { kind: 'list', items: ['host'] } : sel, plan);
  const width = Math.min(110, process.stdout.columns || 110);
  process.stdout.write(args.json ? renderJson(report) : renderTable(report, width));
  process.exitCode = exitCodeOf(report);
}
