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

export function main(argv: string[]): void {
  yargs(argv)
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
