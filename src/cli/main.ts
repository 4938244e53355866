// tcplens command line: one yargs command module per file in this folder.
import yargs from 'yargs';
import { TcplensError } from '../util/errors';
import * as poll from './poll';
import * as preflight from './preflight';
import * as schema from './schema';
import * as trace from './trace';
import * as run from './run';
import * as loadgen from './loadgen';
import * as compare from './compare';
import * as sample from './sample';
import * as query from './query';
import * as flow from './flow';

/**
 * `--flag -1s` as `--flag=-1s`: yargs reads a value that starts with a dash and a digit
 * (and is not a plain number) as short options (`-1 -s`: "Unknown arguments: 1, s"), so a
 * negative duration would never reach the flag's own check and its clear message.
 */
export function joinDashValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const prev = out[out.length - 1];
    if (/^-\d/.test(a) && prev !== undefined && /^--[a-z][\w-]*$/.test(prev)) out[out.length - 1] = `${prev}=${a}`;
    else out.push(a);
  }
  return out;
}

export function main(argv: string[]): void {
  yargs(joinDashValues(argv))
    .scriptName('tcplens')
    .usage('$0 <command> [options]\n\nTCP observability sidecar: watches every TCP socket of the host, in every network namespace.')
    .command(poll)
    .command(preflight)
    .command(run)
    .command(schema)
    .command(trace)
    .command(loadgen)
    .command(compare)
    .command(sample)
    .command(query)
    .command(flow)
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      // One clear line and a non-zero exit, never a stack trace for bad input
      // (a YError is yargs's own usage error: an unreadable --config file).
      if (err && !(err instanceof TcplensError) && err.name !== 'YError') {
        process.stderr.write(`tcplens: ${err.stack ?? err.message}\n`);
        process.exit(1);
      }
      const text = (err ? err.message : msg).replace(/\s*\n\s*/g, ' ');
      process.stderr.write(`tcplens: ${text}${err ? '' : ' (see tcplens --help)'}\n`);
      process.exit(2);
    })
    .help()
    .version()
    .parse();
}
