// tcplens flow COOKIE: every snapshot, event and sample of one socket in
// time order, with the counter deltas between them (the saved question
// schema/queries/flow-timeline.sql).
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { loadLibrary } from '../query/library';
import { queryOptions, type QueryFlags } from '../query/flags';
import { answer, ask, printResult } from '../query/cli_common';
import { withDeltas } from '../query/timeline';
import { usage } from '../util/errors';
import { Output } from '../util/output';
import { checkQueryFlags } from './checks';

interface FlowArgs extends QueryFlags {
  cookie?: string;
  limit?: string;
}

export const command = 'flow [cookie]';
export const describe = "one socket's timeline: its snapshots, events and samples in order, with counter deltas";

export const builder = (y: Argv): Argv<FlowArgs> =>
  queryOptions(
    y
      .positional('cookie', { type: 'string', describe: 'the socket cookie (idiag_cookie; tcplens query top-flows prints it)' })
      .option('limit', { type: 'string', requiresArg: true, describe: 'rows at most (default 10000)' }),
    '24h',
  )
    .example('$0 flow 40961 --netns blue', 'the timeline of cookie 40961 in namespace blue, last 24 hours')
    .example(
      '$0 flow --peer 10.0.0.7 --port 443 --since 2h',
      'the one socket to 10.0.0.7:443 in the last 2 hours (several: they are listed)',
    )
    .example('$0 flow --local 10.0.0.2 --local-port 8080 --since 1h', 'the socket whose own end is 10.0.0.2:8080')
    .example(
      '$0 flow --local 10.0.0.2 --local-port 41000 --peer 10.0.0.7 --peer-port 443 --since 2026-12-04T10:00:00Z --until 2026-12-04T11:00:00Z',
      'by its 4-tuple and a time window',
    )
    .example('$0 flow 40961 --since 2026-12-04T10:00:00Z --format ndjson', 'as one JSON object per row') as unknown as Argv<FlowArgs>;

const BY_ADDRESS = ['peer', 'local', 'port', 'local-port', 'peer-port'] as const;

/** Every flag of `tcplens flow` checked (values parsed, the SQL rendered once), before a server is asked. */
export function validate(args: FlowArgs): void {
  const lib = loadLibrary();
  if (args.cookie !== undefined) {
    checkQueryFlags(lib.get('flow-timeline')!, args, { cookie: String(args.cookie), limit: args.limit });
    return;
  }
  const given = BY_ADDRESS.filter((f) => args[f] !== undefined);
  if (!given.some((f) => f === 'peer' || f === 'local') || !given.some((f) => f.endsWith('port')))
    throw usage(
      'name a cookie, or an address (--peer, --local) and a port (--port, --local-port, --peer-port) of one socket, and the window',
    );
  if (args.limit !== undefined) checkQueryFlags(lib.get('flow-timeline')!, { ...args, ...NO_ADDRESS }, { cookie: '1', limit: args.limit });
  checkQueryFlags(lib.get('flow-find')!, args, {});
}

/** flow-timeline takes no address filter: the limit is checked without them. */
const NO_ADDRESS = { peer: undefined, local: undefined, port: undefined, 'local-port': undefined, 'peer-port': undefined };

export async function handler(args: ArgumentsCamelCase<FlowArgs>): Promise<void> {
  validate(args);
  const lib = loadLibrary();
  const q = lib.get('flow-timeline')!;
  if (args.cookie !== undefined) {
    await answer(q, args, { cookie: String(args.cookie), limit: args.limit }, withDeltas);
    return;
  }
  // by addresses, ports and time: the one socket that matches, or the list of those that do
  const given = BY_ADDRESS.filter((f) => args[f] !== undefined);
  if (args['print-sql']) {
    // the first of the two questions: its answer (the cookie) is what the timeline would be asked for
    const out = new Output();
    await out.write('-- tcplens flow finds the socket with flow-find, then asks flow-timeline for its cookie and netns\n');
    await out.flush();
    await answer(lib.get('flow-find')!, args, {});
    return;
  }
  const found = await ask(lib.get('flow-find')!, args, {});
  const match = found.rows[0];
  if (found.rows.length !== 1 || !match) {
    if (found.rows.length) await printResult(found, args.format);
    const what = given.map((f) => `--${f} ${String(args[f])}`).join(' ');
    throw usage(`${found.rows.length} sockets match ${what} in the window: name a cookie`);
  }
  await answer(q, { ...args, netns: String(match['netns_inode']) }, { cookie: String(match['cookie']), limit: args.limit }, withDeltas);
}
