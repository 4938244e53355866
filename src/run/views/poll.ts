// The poll view in `run`: every --interval, one inet_diag dump (or, with
// --poll-via iter, one iter/tcp pass) of every watched namespace into the
// flow table and tcp_snapshots, one poll_cycles row per namespace. It paces the loop: its ticks are the cycles. Its own
// counters feed the poll stage of the metrics (overruns, cycle durations,
// the namespaces' netlink counters, folded before a vanished namespace's
// socket is closed and its counts lost).
import type { BatchConsumer, CycleResult } from '../../sources/poll';
import { IterPollSource } from '../../sources/iter_poll';
import { openPollSource, pollCycle, type AnyPollSource } from '../../sources/poll_via';
import { compactRows } from '../../layout/compact';
import type { PollCycleRow } from '../../sinks/rows';
import { CumulativeHistogram } from '../../metrics/histogram';
import { NsFold, netlinkOf } from '../../metrics/ns_fold';
import { zeroNamespaces, type PollStageStats } from '../../metrics/stages';
import type { View, ViewContext, ViewFactory, ViewsRequest } from '../view';
import type { Logger } from '../../util/log';
import { warnOpenError } from './parts_log';
import { measureCycle } from '../adaptive';
import { PollSource } from '../../sources/poll';
import { splitStates, type SplitStates } from '../../sources/listen_states';
import { ALL_STATES } from '../../format/tcp_states';
import { ListenView } from './listen';
import { listenSplit } from '../listen_interval';
import { ExactPoll, type EventsHealth } from '../../sources/poll_lookup';
import type { EventTap } from '../event_tap';

/** With --changes-only, an iterator pass emits only the sockets that moved;
 * every ITER_FULL_EVERY-th cycle is full, so flows that ended are closed. */
export const ITER_FULL_EVERY = 10;

/** Sockets per poll batch in `run` (`tcplens poll` keeps 512, its L2-sized
 * batch): here every batch also pays the sink's encoding and staging of ~95
 * columns and a trip to the libuv pool, so fewer, bigger batches cost less a
 * socket (bench/poll/README.md, "Two builds"). ~1.1 MB a batch. */
export const RUN_POLL_BATCH_ROWS = 2048;

class PollView implements View {
  readonly name = 'poll';
  readonly phaseMs: number;
  private readonly fold = new NsFold();
  private readonly hist = new CumulativeHistogram();
  private readonly ns = zeroNamespaces();
  /** netlink bytes each namespace's socket had read at the last cycle's end */
  private nsBytes = new Map<number, number>();
  private readonly s = {
    cycles: 0,
    overruns: 0,
    sockets: 0,
    lastSockets: 0,
    batches: 0,
    firstEnd: null as number | null,
    lastEnd: null as number | null,
  };

  /** namespace-cycles by mode: 'lookup', or the reason of a dump */
  private readonly modes = new Map<string, number>();

  /** source: with split, its cycles after the first ask for split.flows only
   * (the first asks for every state, so that the first flows' sides are known) */
  constructor(
    readonly source: AnyPollSource,
    private readonly req: ViewsRequest,
    log: Logger,
    private readonly split: SplitStates | null = null,
    /** exact-match requests for the namespaces whose sockets are known (inet_diag, split listeners) */
    private readonly exact: ExactPoll | null = null,
  ) {
    this.phaseMs = req.phaseMs ?? 0;
    source.onOpenError = warnOpenError(log, 'poll');
  }

  /** --interval, or the adaptive poll's choice now */
  get everyMs(): number {
    return this.req.adaptive?.intervalMs ?? this.req.intervalMs;
  }

  /** One poll of every namespace: its rows to the table and the sink. */
  async tick({ table, sink, log }: ViewContext): Promise<number> {
    const m = await measureCycle(() => this.cycle({ table, sink, log }));
    this.req.adaptive?.afterCycle(m.cpuMs, m.wallMs, m.startMs);
    return m.result;
  }

  private async cycle({ table, sink, log }: ViewContext): Promise<number> {
    const consume: BatchConsumer = (b, ctx) => {
      const ns = BigInt(ctx.ns.inode);
      if (this.req.changesOnly) {
        const changed = new Uint8Array(b.rows);
        table.observePoll(b, ns, changed);
        compactRows(b, changed);
      } else {
        table.observePoll(b, ns);
      }
      if (b.rows > 0) sink.writeSnapshots(b, { names: ctx.names, view: 'poll' });
      // Backpressure: the dump waits between two batches while the sink's
      // sealed batches are over its mark, so a cycle holds a few batches, not
      // all of them (the kernel keeps the dump's place; waits are counted).
      return sink.room?.() ?? undefined;
    };
    const narrow = this.split !== null && this.s.cycles > 0 && this.source instanceof PollSource;
    // the first cycle (every state) already learns the sockets exact-match cycles ask for
    const r =
      narrow || this.exact
        ? await (this.source as PollSource).cycle(consume, {
            ...(narrow ? { states: this.split!.flows } : {}),
            ...(this.exact ? { exact: this.exact } : {}),
          })
        : await pollCycle(this.source, consume, !this.req.changesOnly || this.s.cycles % ITER_FULL_EVERY === 0);
    const ts = BigInt(r.startedMs) * 1_000_000n;
    const rows: PollCycleRow[] = [];
    const bytes = this.record(r);
    for (const n of r.namespaces) {
      const ns = BigInt(n.ns.inode);
      if (n.lookup) this.modes.set(n.lookup, (this.modes.get(n.lookup) ?? 0) + 1);
      // Only a complete dump proves that a flow it lacks is gone.
      if (n.errno === 0 && (n.complete ?? r.complete) !== false) table.endCycle(ns);
      table.beginCycle(ns, !narrow);
      if (n.errno) log.warn(`poll.failed.${n.ns.name}`, 'poll failed in a namespace', { netns: n.ns.name, code: n.code, errno: n.errno });
      rows.push({
        ts_ns: ts,
        netns_inode: ns,
        netns_name: n.ns.name,
        duration_us: Math.round(r.durationMs * 1000),
        sockets: n.sockets,
        batches: r.batches,
        bytes: bytes.get(n.ns.inode) ?? 0,
        errors: n.errno || n.code ? 1 : 0,
        errno: n.errno,
        error_code: n.code ?? '',
        mode: n.lookup === 'lookup' ? 'lookup' : this.source instanceof PollSource ? 'dump' : 'iter',
        dump_reason: n.lookup && n.lookup !== 'lookup' ? n.lookup : '',
      });
    }
    table.keepNamespaces(new Set(r.namespaces.map((n) => BigInt(n.ns.inode))));
    sink.writePollCycles(rows);
    const cpu = process.cpuUsage();
    log.debug('run.cycle', 'poll cycle done', {
      cycle: this.s.cycles,
      sockets: r.sockets,
      duration_ms: Math.round(r.durationMs),
      process_cpu_us: cpu.user + cpu.system,
    });
    return r.sockets;
  }

  /** Counts the cycle; returns the netlink bytes each namespace read in it. */
  private record(r: CycleResult): Map<number, number> {
    const s = this.s;
    s.cycles++;
    if (this.everyMs > 0 && r.durationMs > this.everyMs) s.overruns++;
    this.hist.observe(r.durationMs / 1000);
    s.sockets += r.sockets;
    s.lastSockets = r.sockets;
    s.batches += r.batches;
    const failing = r.namespaces.filter((n) => n.errno !== 0 || n.code !== undefined).length;
    this.ns.tracked = r.namespaces.length;
    this.ns.added += r.added;
    this.ns.removed += r.removed;
    this.ns.failing = failing;
    this.ns.errors += failing;
    this.ns.unreadable = r.unreadable;
    const all = this.source instanceof PollSource ? this.source.stats(this.exact ?? undefined) : this.source.stats();
    this.fold.fold(all.map((x) => ({ inode: x.ns.inode, counters: x.stats ? netlinkOf(x.stats) : null })));
    s.lastEnd = r.startedMs + r.durationMs;
    s.firstEnd ??= s.lastEnd;
    // netlink bytes each namespace read since the last cycle; namespaces gone are forgotten
    const now = new Map(all.map((x) => [x.ns.inode, x.stats?.bytes ?? 0]));
    const delta = new Map<number, number>();
    for (const [ino, b] of now) {
      const before = this.nsBytes.get(ino) ?? 0;
      delta.set(ino, b >= before ? b - before : b);
    }
    this.nsBytes = now;
    return delta;
  }

  stats(): PollStageStats {
    const s = this.s;
    return {
      intervalSeconds: this.everyMs / 1000,
      cycles: s.cycles,
      overruns: s.overruns,
      firstCycleEndMs: s.firstEnd,
      lastCycleEndMs: s.lastEnd,
      sockets: s.sockets,
      lastSockets: s.lastSockets,
      batches: s.batches,
      cycleSeconds: this.hist,
      netlink: { ...this.fold.total },
      namespaces: { ...this.ns },
      ...(this.source instanceof IterPollSource ? { iter: iterCounters(this.source) } : {}),
      ...(this.exact ? { lookup: { modes: Object.fromEntries(this.modes), ...this.exact.counts } } : {}),
    };
  }

  close(): void {
    this.exact?.close();
    this.source.close();
  }
}

function iterCounters(src: IterPollSource): NonNullable<PollStageStats['iter']> {
  const st = src.iterStats();
  return {
    walked: st?.socksSeen ?? 0,
    unchanged: st?.socksUnchanged ?? 0,
    malformed: st?.malformed ?? 0,
    writeErrors: st?.writeErrors ?? 0,
    dropped: st?.dropped ?? 0,
  };
}

/** --poll-via iter when the kernel runs it, else inet_diag, saying why once. */
function openSource(req: ViewsRequest, log: Logger): AnyPollSource {
  const o = {
    netns: req.netns,
    batchRows: req.batchRows ?? RUN_POLL_BATCH_ROWS,
    ...(req.bytecode ? { bytecode: req.bytecode } : {}),
    ...(req.states !== undefined ? { states: req.states } : {}),
    ...(req.hostSweep !== undefined ? { hostSweep: req.hostSweep } : {}),
  };
  const via = req.pollVia ?? 'diag';
  const src = openPollSource(via, o, (reason) => log.warn('poll.via', `poll via ${via} unavailable: polling with inet_diag`, { reason }));
  if (src instanceof IterPollSource)
    log.info('poll.via', src.host ? 'poll via iter/task_file (host pass) and iter/tcp' : 'poll via iter/tcp', {
      program: src
        .parts()
        .map((p) => p.program)
        .filter(Boolean)
        .join(','),
      changes: src.detectsChanges,
    });
  return src;
}

export const pollView: ViewFactory = {
  name: 'poll',
  open(req, log) {
    const src = openSource(req, log);
    // listeners on their own, slower period: only inet_diag walks by state
    const every = req.listenMs ?? 0;
    const split = src instanceof PollSource && listenSplit(every, req.intervalMs) ? splitStates(req.states ?? ALL_STATES) : null;
    const v = new PollView(src, req, log, split, split && src instanceof PollSource ? exactPoll(req) : null);
    const views: View[] = split && src instanceof PollSource ? [v, new ListenView(src, split.listen, every)] : [v];
    return { views, stages: { poll: v } };
  },
};

/** Exact-match polls where a dump's rows can be had that way: not with
 * --filter (the kernel applies it to dumps only) nor --changes-only. */
function exactPoll(req: ViewsRequest): ExactPoll | null {
  // without the events view nothing vouches for the known sockets: every cycle would dump
  const tap: EventTap | undefined = req.eventTap;
  if (req.bytecode || req.changesOnly || !tap) return null;
  const health: EventsHealth = {
    get opens() {
      return tap.fed && tap.opens;
    },
    lost: () => tap.lost(),
    traces: (inode) => tap.traces(inode),
  };
  const exact = new ExactPoll(health);
  tap?.subscribe((b) => exact.observeEvents(b));
  return exact;
}
