#!/usr/bin/env node
// The burst, rep by rep: tracing off, then `tcplens run` (the order rotates),
// each in a fresh namespace; medians and ratios against "off" from the same
// run. Called by run.sh, which builds the churn and starts ClickHouse.
//   node bench.js CHURN_BIN CONNS REPS CLICKHOUSE_URL [NAME=DIR,...]
// NAME=DIR,...: the builds to run (each DIR a built tcplens tree), one burst
// each per rep, their order rotating with the tracing-off anchor; default this tree.
// NAME=DIR|FLAGS: node flags for that build, after the users' (NODE_FLAGS).
// TCPLENS_BURST_LOG=DIR keeps each run's output there (e.g. with --trace-gc).
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { createClient } = require('@clickhouse/client');
const { median, sleep, freePort } = require('../lib.js');

const [churnBin, conns, reps, url] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const ROOT = path.resolve(__dirname, '../..');
// what users' node runs with: the systemd unit and the DaemonSet cap V8's
// semi-spaces at 4 MB (deploy/; the DaemonSet also caps old space at 320 MB)
const NODE_FLAGS = ['--max-semi-space-size=4'];
const BUILDS = (process.argv[6] || `this=${ROOT}`).split(',').map((s) => {
  const [name, rest] = [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)];
  const [dir, flags] = rest.split('|');
  if (!name || !dir || !fs.existsSync(path.join(dir, 'dist/src/cli/main.js'))) throw new Error(`not a built tree: ${s}`);
  return { name, dir: path.resolve(dir), flags: [...NODE_FLAGS, ...(flags ? flags.split(' ').filter(Boolean) : [])] };
});
const load = () => os.loadavg()[0].toFixed(1);

function netns(tag) {
  const name = `tlburst-${tag}-${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return { name, inode: fs.statSync(`/run/netns/${name}`).ino, remove: () => execFileSync('ip', ['netns', 'delete', name]) };
}

async function churn(ns) {
  const out = execFileSync('ip', ['netns', 'exec', ns, churnBin, String(conns)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

const kib = (pid, field) =>
  Number((fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm')) || [])[1] || 0);

function get(port, p) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** Sum of a metric's samples whose labels contain `match` (e.g. 'kind="dropped"'). */
function metric(text, name, match = '') {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (match && !line.includes(match)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function off(rep) {
  const ns = netns(`off${rep}`);
  try {
    return { churn: await churn(ns.name) };
  } finally {
    ns.remove();
  }
}

async function traced(rep, ch, build) {
  const ns = netns(`on${rep}`);
  const db = `burst_${process.pid}_${rep}_${build.name.replace(/\W/g, '_')}`;
  const probe = path.join(os.tmpdir(), `tlburst-mem-${process.pid}.json`);
  fs.rmSync(probe, { force: true });
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'tlburst-spool-'));
  const port = await freePort();
  const args = ['run', '--netns', ns.name, '--interval', '1s', '--database', db, '--spool-dir', spool, '--listen', `127.0.0.1:${port}`];
  const node = [...build.flags, '-r', path.join(__dirname, 'memprobe.js'), path.join(build.dir, 'bin/tcplens.js')];
  const p = spawn(process.execPath, [...node, ...args], {
    env: { ...process.env, TCPLENS_CLICKHOUSE_URL: url, TCPLENS_MEMPROBE: probe },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const started = new Promise((resolve, reject) => {
    const on = (c) => {
      log += c;
      if (log.includes('run.started')) resolve();
    };
    p.stdout.on('data', on);
    p.stderr.on('data', on);
    p.once('exit', (c) => reject(new Error(`tcplens run exited (${c}) before it started:\n${log.slice(-2000)}`)));
  });
  const exited = new Promise((r) => p.once('exit', (c) => r(c)));
  try {
    await started;
    await sleep(2500); // a few poll cycles: the process as it idles
    const rssBefore = kib(p.pid, 'VmRSS');
    const c = await churn(ns.name);
    await sleep(5000); // the last drains, the closed flows' grace, a flush
    const m = await get(port, '/metrics');
    const peak = kib(p.pid, 'VmHWM');
    p.kill('SIGTERM');
    // a run that does not exit is a finding, not a bench that waits forever
    const hung = setTimeout(() => p.kill('SIGKILL'), 120_000);
    const code = await exited;
    clearTimeout(hung);
    if (process.env.TCPLENS_BURST_LOG) fs.writeFileSync(path.join(process.env.TCPLENS_BURST_LOG, `${build.name}-${rep}.log`), log);
    if (code !== 0) throw new Error(`tcplens run exited ${code}:\n${log.slice(-2000)}`);
    // what the sidecar made of it (queued) and where it went: written, spooled on disk, dropped
    const totalsLine = log.split('\n').find((l) => l.includes('run.totals'));
    const tables = totalsLine ? JSON.parse(totalsLine.slice(totalsLine.indexOf('{'))).tables || {} : {};
    const sink = (t, k) => (tables[t] ? tables[t][k] : NaN);
    const q = async (sql) => Number((await (await ch.query({ query: sql, format: 'JSONEachRow' })).json())[0].n);
    const where = `netns_inode = ${ns.inode}`;
    let mem = {};
    try {
      mem = JSON.parse(fs.readFileSync(probe, 'utf8'));
    } catch {
      /* no sample */
    }
    return {
      build: build.name,
      load: load(),
      mem,
      churn: c,
      lost: metric(m, 'tcplens_events_lost_total'),
      read: metric(m, 'tcplens_events_read_total'),
      stalls: metric(m, 'tcplens_events_reader_stalls_total'),
      dataWakeups: metric(m, 'tcplens_events_reader_wakeups_total', 'reason="data"'),
      enobufs: metric(m, 'tcplens_netlink_errors_total', 'view="destroy",kind="enobufs"'),
      dropped: metric(m, 'tcplens_netlink_errors_total', 'view="destroy",kind="dropped"'),
      evRows: await q(`SELECT count() AS n FROM ${db}.tcp_events WHERE ${where}`),
      flows: await q(`SELECT count() AS n FROM ${db}.tcp_flows WHERE ${where} AND dport != 0`),
      flowCookies: await q(`SELECT uniqExact(idiag_cookie) AS n FROM ${db}.tcp_flows WHERE ${where} AND dport != 0`),
      destroyRows: await q(`SELECT count() AS n FROM ${db}.tcp_snapshots WHERE ${where} AND view = 'destroy' AND dport != 0`),
      flowsQueued: sink('tcp_flows', 'queued'),
      spooled: ['tcp_events', 'tcp_flows', 'tcp_snapshots'].reduce((a, t) => a + sink(t, 'spooled'), 0),
      sinkDropped: ['tcp_events', 'tcp_flows', 'tcp_snapshots'].reduce((a, t) => a + sink(t, 'dropped'), 0),
      rssBeforeMb: rssBefore / 1024,
      peakMb: peak / 1024,
    };
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
    ns.remove();
    fs.rmSync(spool, { recursive: true, force: true });
    fs.rmSync(probe, { force: true });
    await ch.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
  }
}

(async () => {
  const ch = createClient({ url });
  const res = { off: [] };
  for (const b of BUILDS) res[b.name] = [];
  const socks = 2 * conns;
  console.log(
    `bench/burst: ${conns} loopback connections per rep (${socks} sockets), ${reps} reps, tcplens run --interval 1s, every view; builds ${BUILDS.map((b) => b.name).join(', ')}; load ${load()}`,
  );
  const modes = ['off', ...BUILDS.map((b) => b.name)];
  for (let r = 0; r < reps; r++) {
    const order = modes.map((_, k) => modes[(k + r) % modes.length]); // rotates rep by rep
    for (const mode of order) {
      const build = BUILDS.find((b) => b.name === mode);
      const x = build ? await traced(r, ch, build) : await off(r);
      res[mode].push(x);
      if (build)
        console.log(
          `  rep ${r} ${mode} (load ${x.load}): lost ${x.lost} of ${x.read + x.lost} events, tcp_events ${x.evRows}/${4 * conns + 1}, tcp_flows ${x.flows}/${socks} (${x.flowCookies} cookies), ` +
            `destroy rows missing ${socks - x.destroyRows} (ENOBUFS ${x.enobufs}, dropped ${x.dropped}), reader stalls ${x.stalls}, data wakeups ${x.dataWakeups}, ` +
            `sink: flows queued ${x.flowsQueued}, rows spooled ${x.spooled}, dropped ${x.sinkDropped}; ` +
            `RSS ${x.rssBeforeMb.toFixed(0)} -> peak ${x.peakMb.toFixed(0)} MB (at the peak: heap used ${x.mem.heapUsed} of ${x.mem.heapTotal}, ArrayBuffers ${x.mem.arrayBuffers}, external ${x.mem.external} MB; new space ${x.mem.newSpace}, old space ${x.mem.oldSpace}; smaps ${JSON.stringify(x.mem.smaps)}${x.mem.gc ? `; after a full GC ${JSON.stringify(x.mem.gc)}` : ''}), ${x.churn.conn_per_s.toFixed(0)} conn/s`,
        );
      else console.log(`  rep ${r}: tracing off ${x.churn.conn_per_s.toFixed(0)} conn/s (load ${load()})`);
    }
  }
  const cpu = (x) => ((x.churn.user_s + x.churn.sys_s) / conns) * 1e6;
  const offs = res.off;
  const rateOff = median(offs.map((x) => x.churn.conn_per_s));
  const cpuOff = median(offs.map(cpu));
  console.log(`medians of ${reps}: tracing off ${rateOff.toFixed(0)} conn/s, ${cpuOff.toFixed(1)} us churn CPU per connection`);
  for (const b of BUILDS) {
    const on = res[b.name];
    const med = (f) => median(on.map(f));
    const rateOn = med((x) => x.churn.conn_per_s),
      cpuOn = med(cpu);
    console.log(`${b.name} (${b.dir}, node ${b.flags.join(' ')}):`);
    console.log(
      `  conn/s ${rateOn.toFixed(0)} (${(rateOn / rateOff).toFixed(3)}x off); churn CPU per connection ${cpuOn.toFixed(1)} us (${(cpuOn / cpuOff).toFixed(3)}x)`,
    );
    console.log(
      `  events lost: ${med((x) => x.lost)} (max ${Math.max(...on.map((x) => x.lost))}); tcp_events rows ${med((x) => x.evRows)} of ${4 * conns + 1}`,
    );
    console.log(
      `  flow rows the sidecar made: ${med((x) => x.flowsQueued)} of ${socks} sockets (${(med((x) => x.flowsQueued) / socks).toFixed(4)}x)`,
    );
    console.log(
      `  tcp_flows rows in ClickHouse at the end: ${med((x) => x.flows)} of ${socks}; rows spooled to disk (ClickHouse too slow): ${med((x) => x.spooled)}, dropped ${med((x) => x.sinkDropped)}`,
    );
    console.log(
      `  destroy rows missing: ${med((x) => socks - x.destroyRows)}; ENOBUFS ${med((x) => x.enobufs)}, messages dropped ${med((x) => x.dropped)} (max ${Math.max(...on.map((x) => x.dropped))})`,
    );
    console.log(
      `  peak RSS: ${med((x) => x.peakMb).toFixed(0)} MB (max ${Math.max(...on.map((x) => x.peakMb)).toFixed(0)}) beside ${med((x) => x.rssBeforeMb).toFixed(0)} MB before the burst (${(med((x) => x.peakMb) / med((x) => x.rssBeforeMb)).toFixed(2)}x)`,
    );
  }
  await ch.close();
})().catch((e) => {
  console.error(`bench/burst: ${e.message}`);
  process.exit(1);
});
