#!/usr/bin/env node
// Runs the churn with tracing off, with tcplens (tracer.js) and with a
// bpftrace in-kernel counter, interleaved rep by rep, and prints medians and
// ratios against "off" measured in the same run. Called by run.sh, which
// builds the churn, mounts tracefs and makes the namespace.
//   node bench.js NETNS CHURN_BIN CONNS REPS
const { spawn } = require('child_process');
const path = require('path');
const readline = require('readline');

const [ns, churnBin, conns, reps] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const EVENTS_PER_CONN = 10;  // 5 state changes on each side
const BPFTRACE = 'tracepoint:sock:inet_sock_set_state { @c = count(); }';

function lines(proc) {
  const it = readline.createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return async () => { const r = await it.next(); return r.done ? null : r.value; };
}

async function churn() {
  const p = spawn('ip', ['netns', 'exec', ns, churnBin, String(conns)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await lines(p)();
  const code = await new Promise((r) => p.once('exit', r));
  if (code !== 0 || !line) throw new Error(`churn failed (${code})`);
  return JSON.parse(line);
}

async function off() {
  return { churn: await churn() };
}

async function tcplens() {
  const p = spawn('node', [path.join(__dirname, 'tracer.js'), ns, '100'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const next = lines(p);
  if ((await next()) !== 'ready') throw new Error('tracer did not start');
  p.stdin.write('go\n');
  const c = await churn();
  await new Promise((r) => setTimeout(r, 150));  // let the last events reach the ring
  p.stdin.end();
  const t = JSON.parse(await next());
  await new Promise((r) => p.once('exit', r));
  return { churn: c, tracer: t };
}

async function bpftrace() {
  const p = spawn('bpftrace', ['-e', BPFTRACE], { stdio: ['ignore', 'pipe', 'pipe'] });
  const next = lines(p);
  for (let l = await next(); l !== null && !/^Attaching/.test(l); l = await next());
  const c = await churn();
  p.kill('SIGINT');
  let count = NaN;
  for (let l = await next(); l !== null; l = await next()) {
    const m = /^@c: (\d+)/.exec(l);
    if (m) count = Number(m[1]);
  }
  await new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
  return { churn: c, count };
}

const MODES = { off, tcplens, bpftrace };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

(async () => {
  const runs = { off: [], tcplens: [], bpftrace: [] };
  for (let rep = 0; rep <= reps; rep++) {
    // rotate the order so no mode always runs first after a pause
    const order = Object.keys(MODES);
    for (let k = 0; k < rep % order.length; k++) order.push(order.shift());
    for (const m of order) {
      const r = await MODES[m]();
      if (rep > 0) runs[m].push(r);  // rep 0 warms up (page cache, JIT, BTF parsing)
    }
    process.stderr.write(rep === 0 ? 'warm-up done\n' : `rep ${rep}/${reps}\n`);
  }
  const offRate = median(runs.off.map((r) => r.churn.conn_per_s));
  const row = (label, rs, extra) => {
    const rate = median(rs.map((r) => r.churn.conn_per_s));
    const cpu = median(rs.map((r) => ((r.churn.user_s + r.churn.sys_s) / r.churn.conns) * 1e6));
    return `${label.padEnd(46)} ${rate.toFixed(0).padStart(8)} ${(rate / offRate).toFixed(3).padStart(7)} ${cpu.toFixed(1).padStart(10)} ${extra}`;
  };
  const t = runs.tcplens.map((r) => r.tracer);
  const lost = t.reduce((a, x) => a + x.lost, 0);
  const evPerConn = median(t.map((x) => x.events / conns));
  const cpuPerEv = median(t.map((x) => x.cpu_us / Math.max(1, x.events)));
  const complete = t.filter((x) => x.events === conns * EVENTS_PER_CONN + 2).length;
  const bt = median(runs.bpftrace.map((r) => r.count / conns));
  console.log(`tcplens events benchmark: ${conns} loopback connections per run (connect, accept, 64-byte exchange, close; one C process), `
    + `${reps} reps interleaved, medians`);
  console.log(`${'mode'.padEnd(46)} ${'conn/s'.padStart(8)} ${'x off'.padStart(7)} ${'us/conn'.padStart(10)} events/conn, lost, tracer CPU`);
  console.log(row('tracing off', runs.off, '-'));
  console.log(row('tcplens (EventSource, drained every 100 ms)', runs.tcplens,
    `${evPerConn.toFixed(2)} events/conn, ${lost} lost, ${cpuPerEv.toFixed(2)} us CPU/event (tracer process)`));
  console.log(row('bpftrace count() on sock:inet_sock_set_state', runs.bpftrace, `${bt.toFixed(2)} events/conn (host-wide)`));
  console.log('us/conn: CPU (user+sys) of the churn process per connection, kernel work of the probes included');
  console.log(`every event seen: tcplens read ${EVENTS_PER_CONN} x conns + 2 (listener) in ${complete}/${t.length} reps`);
  const ratio = median(runs.tcplens.map((r) => r.churn.conn_per_s)) / offRate;
  const bRatio = median(runs.bpftrace.map((r) => r.churn.conn_per_s)) / offRate;
  console.log(`goal: tcplens >= 0.95x tracing off: ${ratio.toFixed(3)}x ${ratio >= 0.95 ? 'MET' : 'NOT MET'}; `
    + `zero loss: ${lost === 0 ? 'MET' : 'NOT MET'} (${lost} of ${t.reduce((a, x) => a + x.events + x.lost, 0)} events); `
    + `bpftrace anchor ${bRatio.toFixed(3)}x`);
})().catch((e) => { console.error(`bench: ${e.message}`); process.exit(1); });
