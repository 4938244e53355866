// tcplens loadgen: a client/server workload with a known schedule in its own
// network namespace, writing its ground truth (one JSON line per flow).
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { parseSpec, formatSpec, SPEC_HELP, type LoadSpec } from '../loadgen/spec';
import { checkNetnsName, checkOutputPath } from './checks';
import { buildSchedule, scheduleSpanMs } from '../loadgen/schedule';
import { Loadgen } from '../loadgen/run';
import { TcplensError, usage } from '../util/errors';

interface LoadgenArgs {
  spec: string;
  out?: string;
  netns?: string;
  plan?: boolean;
}

export const command = 'loadgen <spec>';
export const describe = 'Run a TCP workload with a known schedule in a network namespace and write its ground truth';

export const builder = (y: Argv): Argv<LoadgenArgs> =>
  y
    .positional('spec', { type: 'string', demandOption: true, describe: SPEC_HELP })
    .option('out', { type: 'string', describe: 'ground truth file: one JSON line per flow (4-tuple, start/end wall ns, bytes each way)' })
    .option('netns', { type: 'string', describe: 'run in this namespace (under /run/netns) instead of a new one' })
    .option('plan', { type: 'boolean', describe: 'print the schedule (one JSON line per flow) and exit without running it' })
    .example('$0 loadgen rate=200,flows=1000,duration=5ms,bytes=4k,seed=1 --out truth.ndjson', '1,000 flows of 5 ms at 200/s')
    .example(
      '$0 loadgen rate=300,duration=bimodal:5ms:2s:0.02,flows=3000 --out t.ndjson',
      'many short flows and a few long ones',
    ) as unknown as Argv<LoadgenArgs>;

/** The spec parsed and the flags checked, before anything starts. */
export function validate(args: LoadgenArgs): LoadSpec {
  let spec: LoadSpec;
  try {
    spec = parseSpec(args.spec);
  } catch (e) {
    // the spec's parser speaks as compare's --loadgen flag; here it is the argument <spec>
    if (e instanceof TcplensError) throw usage(e.message.replace(/^--loadgen: /, 'loadgen <spec>: '));
    throw e;
  }
  if (args.plan) return spec;
  if (!args.out) throw usage('loadgen: --out FILE is required (the ground truth is the point)');
  checkOutputPath(args.out, '--out');
  if (args.netns !== undefined) checkNetnsName(args.netns);
  return spec;
}

export async function runLoadgen(args: LoadgenArgs): Promise<number> {
  const spec = validate(args);
  if (args.plan) {
    const lines = buildSchedule(spec).map((f) => JSON.stringify(f));
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  const lg = new Loadgen({ spec, out: args.out!, ...(args.netns ? { netns: args.netns } : {}) });
  const stop = (): void => lg.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const ready = await lg.start();
    process.stderr.write(
      `loadgen: ${formatSpec(spec)} in netns ${lg.netns} (inode ${ready.netns_inode}), ` +
        `server port ${ready.port}, planned span ${(scheduleSpanMs(buildSchedule(spec)) / 1000).toFixed(2)} s\n`,
    );
    const sum = await lg.go();
    process.stdout.write(`${JSON.stringify({ ...sum, netns: lg.netns, out: args.out })}\n`);
    return sum.errors > 0 ? 1 : 0;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    lg.close();
  }
}

export const handler = async (argv: ArgumentsCamelCase<LoadgenArgs>): Promise<void> => {
  process.exitCode = await runLoadgen(argv);
};
