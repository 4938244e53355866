#!/usr/bin/env node
// Runs the churn with tracing off, with tcplens (tracer.js) and with a
// bpftrace in-kernel counter, interleaved rep by rep, and prints medians and
// ratios against "off" measured in the same run. Called by run.sh, which
// builds the churn, mounts tracefs and makes the namespace.
//   node bench.js NETNS CHURN_BIN CONNS REPS [ANCHOR_ROOT]
// ANCHOR_ROOT: another build of tcplens (e.g. main's), whose tracer runs
// the sidecar kinds as a fifth mode in the same interleaved reps.
// EMPTY_PROBE (env, from run.sh): "LOADER OBJ" of an empty tp_btf program on
// the same tracepoint, a mode of its own: the kernel's dispatch floor.
const { spawn } = require('child_process');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { median } = require('../lib.js');

const [ns, churnBin, conns, reps] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const anchorRoot = process.argv[6] || '';
const EVENTS_PER_CONN = 10; // 5 state changes on each side
// A sidecar's kinds: opens, closes, retransmits, resets (not the other
// state changes): 4 events per connection.
const SIDECAR_KINDS = 0xfe & ~(1 << 4);
const SIDECAR_PER_CONN = 4;
const BPFTRACE = 'tracepoint:sock:inet_sock_set_state { @c = count(); }';

function lines(proc) {
  const it = readline.createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return async () => {
    const r = await it.next();
    return r.done ? null : r.value;
  };
}

async function churn() {
  const p = spawn('ip', ['netns', 'exec', ns, churnBin, String(conns)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await lines(p)();
  const code = await new Promise((r) => p.once('exit', r));
  if (code !== 0 || !line) throw new Error(`churn failed (${code})`);
  return JSON.parse(line);
}

/** Programs on inet_sock_set_state that this bench did not load: another
 * job's tracer on the same host makes "off" not off (the tracepoint is host-wide). */
const STATE_PROG = /set_state|inet_sock_set_s/;
const ours = new Set();
const othersOnTracepoint = () =>
  progList()
    .filter((x) => STATE_PROG.test(x.name ?? '') && !ours.has(x.id))
    .map((x) => `${x.name}#${x.id}`);

async function off() {
  const before = othersOnTracepoint();
  const c = await churn();
  return { churn: c, others: [...new Set([...before, ...othersOnTracepoint()])] };
}

const progList = () => JSON.parse(require('child_process').execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' }));
/** The highest program id now: the mode's own programs load after it (other
 * jobs on the host may run programs of the same name, tcplens's tests too). */
const lastProgId = () => progList().reduce((m, x) => Math.max(m, x.id), 0);

/** run_time_ns / run_cnt of the program named `name` loaded after id `after`
 * (kernel.bpf_stats_enabled); the mode's programs loaded after `after` are
 * marked as ours (not "others" when they linger after the mode). */
function bpfStats(name, after) {
  const loaded = progList().filter((x) => x.id > after);
  for (const x of loaded) if (STATE_PROG.test(x.name ?? '')) ours.add(x.id);
  const p = loaded.find((x) => x.name === name && x.run_cnt > 0);
  return p ? { ns: p.run_time_ns, runs: p.run_cnt } : null;
}

const tcplensAll = () => tcplens(0);
const tcplensSidecar = () => tcplens(SIDECAR_KINDS);

async function tcplens(kinds, root = path.join(__dirname, '../..')) {
  const after = lastProgId();
  // drain interval 0: `tcplens run`'s default (an anchor build's tracer may read it as 100 ms)
  const p = spawn('node', [path.join(root, 'bench/events/tracer.js'), ns, '0', String(kinds)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const next = lines(p);
  if ((await next()) !== 'ready') throw new Error('tracer did not start');
  p.stdin.write('go\n');
  const c = await churn();
  await new Promise((r) => setTimeout(r, 150)); // let the last events reach the ring
  const prog = bpfStats('btf_set_state', after);
  p.stdin.end();
  const t = JSON.parse(await next());
  await new Promise((r) => p.once('exit', r));
  return { churn: c, tracer: t, prog };
}

async function bpftrace() {
  const after = lastProgId();
  const p = spawn('bpftrace', ['-e', BPFTRACE], { stdio: ['ignore', 'pipe', 'pipe'] });
  const next = lines(p);
  for (let l = await next(); l !== null && !/^Attaching/.test(l); l = await next());
  const c = await churn();
  const prog = bpfStats('inet_sock_set_s', after); // bpftrace's program, name cut to 15 characters
  // bpftrace (0.17) now and then misses a SIGINT under load and runs on:
  // ask again every second until it exits
  p.kill('SIGINT');
  const again = setInterval(() => p.exitCode === null && p.kill('SIGINT'), 1000);
  let count = NaN;
  for (let l = await next(); l !== null; l = await next()) {
    const m = /^@c: (\d+)/.exec(l);
    if (m) count = Number(m[1]);
  }
  await new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
  clearInterval(again);
  return { churn: c, count, prog };
}

const anchorSidecar = () => tcplens(SIDECAR_KINDS, anchorRoot);

const emptyCmd = (process.env.EMPTY_PROBE || '').split(' ').filter(Boolean);
async function emptyProbe() {
  const after = lastProgId();
  const p = spawn(emptyCmd[0], emptyCmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  if ((await lines(p)()) !== 'attached') throw new Error('empty_probe did not attach');
  const c = await churn();
  const prog = bpfStats('empty_state', after);
  p.stdin.end();
  await new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
  return { churn: c, prog };
}

const MODES = {
  off,
  tcplensAll,
  tcplensSidecar,
  bpftrace,
  ...(emptyCmd.length ? { emptyProbe } : {}),
  ...(anchorRoot ? { anchorSidecar } : {}),
};

/** kernel.bpf_stats_enabled: run.sh restores the value it found on exit. */
const bpfStatsOn = (on) => require('fs').writeFileSync('/proc/sys/kernel/bpf_stats_enabled', on ? '1' : '0');
// The probe column needs kernel.bpf_stats_enabled, which adds two clock reads
// to every program run (sched_clock: a pvclock read in this VM, ~2.5% of the
// churn's CPU with two programs on the tracepoint): production runs without
// it, so conn/s and CPU are measured with it off, and the per-run time in
// PROBE_REPS reps of their own with it on.
const PROBE_REPS = Math.min(reps, 2);

(async () => {
  const runs = { off: [], tcplensAll: [], tcplensSidecar: [], bpftrace: [], emptyProbe: [], anchorSidecar: [] };
  const probes = { tcplensAll: [], tcplensSidecar: [], bpftrace: [], emptyProbe: [], anchorSidecar: [] };
  bpfStatsOn(false);
  for (let rep = 0; rep <= reps + PROBE_REPS; rep++) {
    const probing = rep > reps;
    if (probing) bpfStatsOn(true);
    // rotate the order so no mode always runs first after a pause
    const order = Object.keys(MODES).filter((m) => !probing || m !== 'off');
    for (let k = 0; k < rep % order.length; k++) order.push(order.shift());
    for (const m of order) {
      const r = await MODES[m]();
      if (probing) probes[m].push(r);
      else if (rep > 0) runs[m].push(r); // rep 0 warms up (page cache, JIT, BTF parsing)
    }
    process.stderr.write(rep === 0 ? 'warm-up done\n' : probing ? `probe rep ${rep - reps}/${PROBE_REPS}\n` : `rep ${rep}/${reps}\n`);
  }
  bpfStatsOn(false);
  const offRate = median(runs.off.map((r) => r.churn.conn_per_s));
  const cpuOf = (r) => ((r.churn.user_s + r.churn.sys_s) / r.churn.conns) * 1e6;
  const cpuPerConn = (rs) => median(rs.map(cpuOf));
  const offCpu = cpuPerConn(runs.off);
  const row = (label, rs, extra) => {
    const rate = median(rs.map((r) => r.churn.conn_per_s));
    const cpu = cpuPerConn(rs);
    return (
      `${label.padEnd(46)} ${rate.toFixed(0).padStart(8)} ${(rate / offRate).toFixed(3).padStart(7)} ` +
      `${cpu.toFixed(1).padStart(8)} ${(cpu / offCpu).toFixed(3).padStart(7)}  ${extra}`
    );
  };
  const probeOf = new Map([
    [runs.tcplensAll, probes.tcplensAll],
    [runs.tcplensSidecar, probes.tcplensSidecar],
    [runs.bpftrace, probes.bpftrace],
    [runs.emptyProbe, probes.emptyProbe],
    [runs.anchorSidecar, probes.anchorSidecar],
  ]);
  const perRun = (rs) => {
    const p = (probeOf.get(rs) ?? []).map((r) => r.prog).filter(Boolean);
    return p.length ? `${median(p.map((x) => x.ns / x.runs)).toFixed(0)} ns/run` : 'n/a';
  };
  const tracerCols = (rs, perConn) => {
    const t = rs.map((r) => r.tracer);
    const lost = t.reduce((a, x) => a + x.lost, 0);
    const complete = t.filter((x) => x.events === conns * perConn + (perConn === EVENTS_PER_CONN ? 2 : 1)).length;
    return {
      lost,
      complete,
      n: t.length,
      all: t.reduce((a, x) => a + x.events + x.lost, 0),
      text:
        `${median(t.map((x) => x.events / conns)).toFixed(2)} ev/conn, ${lost} lost, ` +
        `${median(t.map((x) => x.cpu_us / Math.max(1, x.events))).toFixed(2)} us CPU/ev (tracer), probe ${perRun(rs)}`,
    };
  };
  const ta = tracerCols(runs.tcplensAll, EVENTS_PER_CONN),
    ts = tracerCols(runs.tcplensSidecar, SIDECAR_PER_CONN);
  const bt = median(runs.bpftrace.map((r) => r.count / conns));
  console.log(
    `tcplens events benchmark: ${conns} loopback connections per run (connect, accept, 64-byte exchange, close; one C process), ` +
      `${reps} reps interleaved, medians`,
  );
  console.log(
    `${'mode'.padEnd(46)} ${'conn/s'.padStart(8)} ${'x off'.padStart(7)} ${'us/conn'.padStart(8)} ${'x off'.padStart(7)}  events, loss, CPU`,
  );
  console.log(row('tracing off', runs.off, '-'));
  console.log(row('tcplens, every kind (10 events/conn)', runs.tcplensAll, ta.text));
  console.log(row('tcplens, sidecar kinds (4 events/conn)', runs.tcplensSidecar, ts.text));
  const tx = anchorRoot ? tracerCols(runs.anchorSidecar, SIDECAR_PER_CONN) : null;
  if (tx) console.log(row('anchor build, sidecar kinds (4 events/conn)', runs.anchorSidecar, tx.text));
  console.log(
    row(
      'bpftrace count() on sock:inet_sock_set_state',
      runs.bpftrace,
      `${bt.toFixed(2)} ev/conn (host-wide), probe ${perRun(runs.bpftrace)}`,
    ),
  );
  if (emptyCmd.length) console.log(row('empty tp_btf program on inet_sock_set_state', runs.emptyProbe, `probe ${perRun(runs.emptyProbe)}`));
  // each rep's CPU over the same rep's "off": the spread says how far apart
  // two modes must be before this machine tells them apart
  const paired = (rs) => {
    const x = rs.map((r, i) => cpuOf(r) / cpuOf(runs.off[i])).sort((a, b) => a - b);
    return `${median(x).toFixed(3)}x [${x[0].toFixed(3)}, ${x[x.length - 1].toFixed(3)}]`;
  };
  const pairedRows = [
    ['every kind', runs.tcplensAll],
    ['sidecar kinds', runs.tcplensSidecar],
    ['bpftrace', runs.bpftrace],
    ...(emptyCmd.length ? [['empty program', runs.emptyProbe]] : []),
    ...(anchorRoot ? [['anchor build', runs.anchorSidecar]] : []),
  ];
  console.log(
    `CPU per connection over the same rep's tracing off, median [min, max] of ${reps} reps: ${pairedRows.map(([l, rs]) => `${l} ${paired(rs)}`).join('; ')}`,
  );
  console.log('us/conn: CPU (user+sys) of the churn process per connection: the probes run in its context, so their kernel');
  console.log(
    '  cost is in it; unlike conn/s it does not move with other load on the host (load average at the end: ' +
      `${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${os.cpus().length} CPUs)`,
  );
  console.log(
    'conn/s, us/conn: with kernel.bpf_stats_enabled=0, as in production; probe: run time per run of the inet_sock_set_state ' +
      `program (every state change of the host) from ${PROBE_REPS} more reps of each eBPF mode with bpf_stats on`,
  );
  console.log('sidecar kinds: opens, closes, retransmits, resets; every kind adds the other state changes (like tcpstates)');
  // kernel.bpf_stats_enabled=0 does not switch stats off while any process
  // holds BPF_ENABLE_STATS (`tcplens run` does by default, --bpf-stats): then
  // the programs count run time in the "off" reps too, and those reps carry
  // bpf_stats' clock reads (~2.5-4% of this churn)
  const ebpfRuns = [runs.tcplensAll, runs.tcplensSidecar, runs.bpftrace, runs.emptyProbe, runs.anchorSidecar].flat();
  const held = ebpfRuns.filter((r) => r.prog && r.prog.ns > 0).length;
  console.log(
    `bpf_stats held on by another process during the reps meant without it: ${held} of ${ebpfRuns.length} ` +
      (held ? '(a BPF_ENABLE_STATS holder, e.g. `tcplens run --bpf-stats`: the CPU ratios carry its clock reads)' : '(none)'),
  );
  const others = runs.off.filter((r) => r.others.length);
  console.log(
    `other programs on inet_sock_set_state during the "tracing off" reps: ${others.length} of ${runs.off.length}` +
      (others.length ? ` (${[...new Set(others.flatMap((r) => r.others))].slice(0, 6).join(', ')}: "off" was not off)` : ' (none)'),
  );
  console.log(
    `every event seen: tcplens read exactly the expected events in ${ta.complete}/${ta.n} (every kind) and ${ts.complete}/${ts.n} (sidecar) reps`,
  );
  const rate = (rs) => median(rs.map((r) => r.churn.conn_per_s)) / offRate;
  const cpu = (rs) => offCpu / cpuPerConn(rs);
  const verdict = (x) => `${x.toFixed(3)}x ${x >= 0.95 ? 'MET' : 'NOT MET'}`;
  for (const [label, rs, t] of [
    ['every kind', runs.tcplensAll, ta],
    ['sidecar kinds', runs.tcplensSidecar, ts],
  ]) {
    console.log(
      `goal (${label}): tcplens >= 0.95x tracing off: conn/s ${verdict(rate(rs))}, by CPU per connection ${verdict(cpu(rs))}; ` +
        `zero loss: ${t.lost === 0 ? 'MET' : 'NOT MET'} (${t.lost} of ${t.all} events)`,
    );
  }
  console.log(`anchor: bpftrace conn/s ${rate(runs.bpftrace).toFixed(3)}x, by CPU per connection ${cpu(runs.bpftrace).toFixed(3)}x`);
  if (emptyCmd.length) {
    // what any program on the tracepoint costs (the kernel's dispatch) vs what tcplens's adds to it
    const floor = cpuPerConn(runs.emptyProbe);
    const over = (rs) => `${(cpuPerConn(rs) - floor).toFixed(1)} us/conn (${(cpuPerConn(rs) / floor).toFixed(3)}x)`;
    console.log(
      `anchor: an empty program, CPU per connection ${cpu(runs.emptyProbe).toFixed(3)}x tracing off (${(floor - offCpu).toFixed(1)} us/conn); ` +
        `tcplens above it: every kind ${over(runs.tcplensAll)}, sidecar kinds ${over(runs.tcplensSidecar)}`,
    );
  }
  if (tx) {
    const probe = (rs) =>
      median(
        rs
          .map((r) => r.prog)
          .filter(Boolean)
          .map((x) => x.ns / x.runs),
      );
    const [pt, pa] = [probe(probes.tcplensSidecar), probe(probes.anchorSidecar)];
    console.log(
      `this build / anchor build (${anchorRoot}), sidecar kinds: conn/s ${(rate(runs.tcplensSidecar) / rate(runs.anchorSidecar)).toFixed(3)}x, ` +
        `CPU per connection ${(cpuPerConn(runs.tcplensSidecar) / cpuPerConn(runs.anchorSidecar)).toFixed(3)}x, ` +
        `probe ${(pt / pa).toFixed(3)}x (${pt.toFixed(0)} / ${pa.toFixed(0)} ns/run); anchor loss ${tx.lost} of ${tx.all}`,
    );
  }
})().catch((e) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
