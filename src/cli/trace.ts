// tcplens trace: the events view live, like tcplife/tcpstates: every open,
// close, state change, retransmit and reset, with the socket cookie.
import { listItems } from '../util/list';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { partWarnings } from '../sources/parts';
import { EventSource } from '../sources/events';
import { EVENT_KINDS } from '../layout/event_columns';
import { eventTableRow, eventToRecord, EVENT_TABLE_HEADER } from '../format/event_record';
import { parseNetnsSelector, resolveNetns } from '../netns/select';
import { parseDuration, parseRingBytes } from '../util/units';
import { Output } from '../util/output';
import { startOrSay, usage } from '../util/errors';
import { clip } from '../config/env';

type TraceFormat = 'table' | 'json' | 'ndjson' | 'none';

interface TraceArgs {
  format: TraceFormat;
  netns: string;
  duration?: string;
  ports?: string;
  kinds: string;
  ringBytes: string;
  interval: string;
  mode: 'auto' | 'tp_btf' | 'tracepoint';
  batchRows: number;
}

export const command = 'trace';
export const describe = 'Print TCP events live (eBPF): opens, closes, state changes, retransmits, resets';

export const builder = (y: Argv): Argv<TraceArgs> =>
  y
    .option('format', {
      choices: ['table', 'json', 'ndjson', 'none'] as const,
      default: 'table' as TraceFormat,
      describe: 'table: one line per event; json: one array; ndjson: one object per event; none: a summary at the end',
    })
    .option('netns', {
      type: 'string',
      default: 'all',
      describe: 'namespaces to keep: all, host, a name under /run/netns, or a path (at most 8, comma-separated)',
    })
    .option('duration', { type: 'string', describe: 'stop after DURATION (e.g. 10s); default: until interrupted' })
    .option('ports', { type: 'string', describe: 'keep events whose local or remote port is one of these (at most 8, comma-separated)' })
    .option('kinds', {
      type: 'string',
      default: 'all',
      describe: `event kinds to keep: all, ${EVENT_KINDS.slice(1).join(', ')} (comma-separated)`,
    })
    .option('ring-bytes', { type: 'string', default: '8m', describe: 'ring buffer size: a power of two, at least 4k (e.g. 64k, 8m)' })
    .option('interval', { type: 'string', default: '100ms', describe: 'how often the ring buffer is drained' })
    .option('mode', {
      choices: ['auto', 'tp_btf', 'tracepoint'] as const,
      default: 'auto' as const,
      describe: 'tp_btf programs, classic tracepoints, or tp_btf falling back to tracepoints',
    })
    .option('batch-rows', { type: 'number', default: 1024, describe: 'events per native batch' })
    .example('$0 trace', 'every TCP event of the host, one line each')
    .example('$0 trace --kinds close --format ndjson', 'one JSON object per closed socket, with its final counters')
    .example(
      '$0 trace --netns blue --ports 443 --duration 10s',
      'events of port 443 in namespace blue for 10 seconds',
    ) as unknown as Argv<TraceArgs>;

export function parseKinds(text: string): number {
  let mask = 0;
  for (const k of listItems(text, true)) {
    if (k === 'all') return 0;
    const i = EVENT_KINDS.indexOf(k as (typeof EVENT_KINDS)[number]);
    if (i <= 0) throw usage(`--kinds: unknown event kind "${clip(k)}" (one of: all, ${EVENT_KINDS.slice(1).join(', ')})`);
    mask |= 1 << i;
  }
  if (mask === 0) throw usage('--kinds: empty');
  return mask;
}

export function parsePorts(text: string | undefined): number[] {
  if (text === undefined) return [];
  const ports = listItems(text).map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw usage(`--ports: "${clip(p)}" is not a port (1-65535)`);
    return Number(p);
  });
  if (ports.length === 0 || ports.length > 8) throw usage('--ports: between 1 and 8 ports');
  return ports;
}

function netnsInodes(text: string): number[] {
  const sel = parseNetnsSelector(text);
  if (sel.kind === 'all') return [];
  const inodes = resolveNetns(sel).namespaces.map((n) => n.inode);
  if (inodes.length > 8) throw usage('--netns: at most 8 namespaces (or all)');
  return inodes;
}

/** Every flag of `tcplens trace` checked and parsed, before anything starts. */
export function validate(args: TraceArgs) {
  const durationMs = args.duration !== undefined ? parseDuration(args.duration, 'duration') : 0;
  const intervalMs = parseDuration(args.interval, 'interval');
  if (!(Number.isInteger(args.batchRows) && args.batchRows >= 1 && args.batchRows <= 1 << 20))
    throw usage('--batch-rows: between 1 and 1048576');
  const source = {
    netns: netnsInodes(args.netns),
    ports: parsePorts(args.ports),
    kinds: parseKinds(args.kinds),
    ringBytes: parseRingBytes(args.ringBytes),
    mode: args.mode,
    batchRows: args.batchRows,
  };
  return { durationMs, intervalMs, source };
}

export async function runTrace(args: TraceArgs): Promise<number> {
  const v = validate(args);
  const { durationMs, intervalMs } = v;
  const source = new EventSource(v.source);
  if (!startOrSay(() => source.start(), 'EEVENTS')) return 1;
  for (const line of partWarnings('events', source.parts())) process.stderr.write(`tcplens: ${line}\n`);
  const out = new Output();
  let first = true;
  if (args.format === 'table') await out.write(`${EVENT_TABLE_HEADER}\n`);
  if (args.format === 'json') await out.write('[');
  await out.flush(); // the header says the programs are attached
  const timer = source.drainEvery(
    intervalMs,
    async (b, ctx) => {
      if (args.format === 'none') return;
      for (let i = 0; i < b.rows; i++) {
        const rec = eventToRecord(b, i, ctx.names);
        if (args.format === 'table') await out.write(`${eventTableRow(rec)}\n`);
        else if (args.format === 'ndjson') await out.write(`${JSON.stringify(rec)}\n`);
        else {
          await out.write(`${first ? '\n' : ',\n'}${JSON.stringify(rec)}`);
          first = false;
        }
      }
      await out.flush();
    },
    (e) => process.stderr.write(`tcplens: ${e.message}\n`),
  );

  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      process.removeListener('SIGINT', done);
      process.removeListener('SIGTERM', done);
      resolve();
    };
    const t = durationMs > 0 ? setTimeout(done, durationMs) : undefined;
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await timer.stop();
  source.close();
  if (args.format === 'json') await out.write(first ? ']\n' : '\n]\n');
  const st = source.stats();
  if (args.format === 'none') {
    await out.write(
      `events: ${st.events} read, ${st.lost} lost, ${st.batches} batches, ${st.bytes} bytes, ${st.malformed} malformed (${st.mode})\n`,
    );
  }
  await out.flush();
  if (st.lost > 0) {
    process.stderr.write(`tcplens: events lost: ${st.lost} (the ring buffer was full; raise --ring-bytes or lower --interval)\n`);
  }
  if (st.tableFull > 0)
    process.stderr.write(
      `tcplens: events: ${st.tableFull} sockets whose birth was not kept (socket table or ring buffer full): no owner or lifetime for them\n`,
    );
  if (st.malformed > 0) process.stderr.write(`tcplens: events skipped as malformed: ${st.malformed}\n`);
  return 0;
}

export const handler = async (argv: ArgumentsCamelCase<TraceArgs>): Promise<void> => {
  process.exitCode = await runTrace(argv);
};
