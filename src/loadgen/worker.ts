// The workload process: runs inside the target network namespace (spawned by
// `ip netns exec`), a server and its clients in one Node process. It prints
// one JSON line when listening, starts the schedule when stdin says "go",
// writes the ground truth (ndjson, one line per flow) and a summary line.
// "stop" on stdin (or EOF) ends it early: no new flows, open ones close now.
import * as fs from 'fs';
import * as net from 'net';
import * as readline from 'readline';
import { performance } from 'perf_hooks';
import { buildSchedule, type PlannedFlow } from './schedule';
import type { LoadSpec } from './spec';
import type { TruthFlow, TruthSummary } from './truth';

/** Wall ns from the monotonic clock anchored once: sub-ms resolution. */
const nowNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
const LATE_MS = 5;

interface Args {
  spec: LoadSpec;
  out: string;
}

function main(): void {
  // Ctrl-C reaches the whole process group: the parent says "stop" instead.
  process.on('SIGINT', () => {});
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const { spec } = args;
  const flows = buildSchedule(spec);
  const host = spec.family === 4 ? '127.0.0.1' : '::1';
  const netnsInode = fs.statSync('/proc/self/ns/net').ino;
  let out: number;
  try {
    out = fs.openSync(args.out, 'w');
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ error: `cannot write the ground truth: ${(e as Error).message}` })}\n`, () => process.exit(1));
    return;
  }
  const maxBytes = Math.max(spec.up, spec.down, 1);
  const payload = Buffer.alloc(maxBytes, 0x61);

  // The server learns each flow's reply size from the client's port: the
  // client registers it once connected (no header bytes on the wire).
  const downByPort = new Map<number, number>();
  const waiting = new Map<number, (down: number) => void>();
  // Whichever end closes last writes the flow's record (it has both ends' times).
  const serverDone = new Map<number, { ns: bigint; eofNs: bigint; got: number }>();
  const clientDone = new Map<number, () => void>();
  // allowHalfOpen: the server closes its side itself, synchronously (below).
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (c) => {
    const port = c.remotePort!;
    let got = 0;
    c.on('data', (d) => {
      got += d.length;
    });
    let eofNs = 0n;
    // The client shuts down only once it has all the reply, so at EOF every
    // byte is exchanged. destroy() is close(2) now (a shutdown via end()
    // would wait for a later turn of a busy loop): the FIN goes out, the
    // client's kernel acks it inside this syscall on loopback, and both
    // sockets leave the kernel's tables. eofNs is then the flow's close.
    c.on('end', () => {
      eofNs = nowNs();
      c.destroy();
    });
    c.on('close', () => {
      serverDone.set(port, { ns: nowNs(), eofNs, got });
      const finish = clientDone.get(port);
      clientDone.delete(port);
      finish?.();
    });
    c.on('error', () => {
      /* the client records the flow's error */
    });
    const send = (down: number): void => {
      if (down > 0) c.write(payload.subarray(0, down));
    };
    const down = downByPort.get(port);
    if (down !== undefined) send(down);
    else waiting.set(port, send);
  });

  let port = 0;
  let open = 0,
    maxOpen = 0,
    finished = 0,
    errors = 0,
    late = 0,
    stopping = false;
  let t0 = 0n;
  const live = new Set<net.Socket>();
  let onAllDone: () => void = () => {};

  const record = (t: TruthFlow): void => {
    fs.writeSync(out, `${JSON.stringify(t)}\n`);
    if (t.error) errors++;
    finished++;
    if (finished === flows.length || (stopping && open === 0)) onAllDone();
  };

  const launch = (f: PlannedFlow): void => {
    const startNs = nowNs();
    if (Number(startNs - t0) / 1e6 - f.startMs > LATE_MS) late++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    const t: TruthFlow = {
      id: f.id,
      family: spec.family,
      netns_inode: netnsInode,
      src: host,
      sport: 0,
      dst: host,
      dport: port,
      start_ns: String(startNs),
      connect_ns: '0',
      fin_ns: '0',
      server_eof_ns: '0',
      client_end_ns: '0',
      server_end_ns: '0',
      end_ns: '0',
      up: f.up,
      down: f.down,
      up_received: 0,
      down_received: 0,
      planned_ms: f.durationMs,
      error: '',
    };
    let written = f.up === 0,
      due = false,
      ended = false;
    const s = net.connect({ host, port, noDelay: true });
    live.add(s);
    // The duration runs from connect() to shutdown, on a timer of its own.
    // Node's timers count from the loop's cached clock and may fire early:
    // re-arm until the planned time has really passed.
    const dueNs = startNs + BigInt(Math.round(f.durationMs * 1e6));
    const arm = (ms: number): NodeJS.Timeout =>
      setTimeout(() => {
        const left = Number(dueNs - nowNs()) / 1e6;
        if (left > 0) {
          timer = arm(left);
          return;
        }
        due = true;
        maybeEnd();
      }, ms);
    let timer = arm(f.durationMs);
    const maybeEnd = (): void => {
      if (ended || !(due || stopping) || !written || t.down_received < f.down || t.connect_ns === '0') return;
      ended = true;
      t.fin_ns = String(nowNs());
      s.end();
    };
    s.on('connect', () => {
      t.connect_ns = String(nowNs());
      t.sport = s.localPort!;
      const send = waiting.get(t.sport);
      waiting.delete(t.sport);
      downByPort.set(t.sport, f.down);
      send?.(f.down);
      if (f.up > 0)
        s.write(payload.subarray(0, f.up), () => {
          written = true;
          maybeEnd();
        });
      maybeEnd();
    });
    s.on('data', (d) => {
      t.down_received += d.length;
      if (t.down_received > f.down) t.error = `received ${t.down_received} > ${f.down} bytes`;
      maybeEnd();
    });
    s.on('error', (e) => {
      t.error = t.error || (e as NodeJS.ErrnoException).code || e.message;
    });
    s.on('close', () => {
      t.client_end_ns = String(nowNs());
      clearTimeout(timer);
      live.delete(s);
      downByPort.delete(t.sport);
      const finish = (): void => {
        const srv = serverDone.get(t.sport);
        serverDone.delete(t.sport);
        t.up_received = srv?.got ?? 0;
        t.server_eof_ns = String(srv?.eofNs ?? 0n);
        // The kernel closes both sockets (they leave the socket tables) when
        // the server's FIN is acked: inside the close(2) right after eofNs.
        t.end_ns = srv && srv.eofNs > 0n ? String(srv.eofNs) : t.client_end_ns;
        t.server_end_ns = String(srv?.ns ?? 0n);
        if (!t.error && (t.up_received !== f.up || t.down_received !== f.down))
          t.error = `short transfer ${t.up_received}/${f.up} up, ${t.down_received}/${f.down} down`;
        open--;
        record(t);
      };
      // A connection refused or reset never reached the server: nothing to wait for.
      if (serverDone.has(t.sport) || t.connect_ns === '0') finish();
      else clientDone.set(t.sport, finish);
    });
    // Exposed so "stop" can cut a long flow short.
    (s as net.Socket & { tlEnd?: () => void }).tlEnd = maybeEnd;
  };

  server.listen(0, host, () => {
    port = (server.address() as net.AddressInfo).port;
    process.stdout.write(`${JSON.stringify({ ready: true, port, netns_inode: netnsInode, flows: flows.length })}\n`);
  });

  const done = new Promise<void>((res) => {
    onAllDone = res;
  });
  let next = 0;
  const pump = (): void => {
    if (stopping) return;
    const elapsed = Number(nowNs() - t0) / 1e6;
    while (next < flows.length && flows[next]!.startMs <= elapsed) launch(flows[next++]!);
    if (next < flows.length) setTimeout(pump, Math.max(0, flows[next]!.startMs - Number(nowNs() - t0) / 1e6));
  };
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    if (open === 0) onAllDone();
    for (const s of live) (s as net.Socket & { tlEnd?: () => void }).tlEnd?.();
  };

  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === 'go' && t0 === 0n) {
      t0 = nowNs();
      if (flows.length === 0) onAllDone();
      else pump();
    } else if (line.trim() === 'stop') stop();
  });
  rl.on('close', stop);

  void done.then(() => {
    const sum: TruthSummary = {
      done: true,
      flows: finished,
      errors,
      late,
      max_concurrent: maxOpen,
      netns_inode: netnsInode,
      started_ns: String(t0),
      ended_ns: String(nowNs()),
    };
    fs.closeSync(out);
    process.stdout.write(`${JSON.stringify(sum)}\n`, () => process.exit(0));
    server.close();
  });
}

main();
