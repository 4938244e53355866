// tcplens preflight: what can work on this host, and how to fix what cannot.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { parseNetnsSelector } from '../netns/select';
import { exitCodeOf, renderJson, renderTable, runPreflight } from '../preflight';

interface PreflightArgs {
  json?: boolean;
  netns: string;
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
    .example('$0 preflight', 'a table: check, status, what it is for, how to fix it')
    .example('$0 preflight --json', 'the same as JSON, with a verdict per view') as unknown as Argv<PreflightArgs>;

export function handler(args: ArgumentsCamelCase<PreflightArgs>): void {
  const sel = parseNetnsSelector(args.netns);
  const netnsAll = !(sel.kind === 'list' && sel.items.every((i) => i === 'host'));
  const report = runPreflight({ netnsAll });
  const width = Math.min(110, process.stdout.columns || 110);
  process.stdout.write(args.json ? renderJson(report) : renderTable(report, width));
  process.exitCode = exitCodeOf(report);
}
