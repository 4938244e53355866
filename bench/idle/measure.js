#!/usr/bin/env node
// Idle cost of `tcplens run` with default settings: each build given (ROOT
// folders: this checkout, and e.g. a build of the previous commit as the
// anchor) runs side by side for the same minutes on the same host; after a
// warm-up, the CPU of every thread of each (utime + stime) and its context
// switches (what wakes it) are read at the start and the end.
//   node measure.js SECONDS CLICKHOUSE_URL ROOT [ROOT...]
// A ROOT may carry extra run flags after '::' (ROOT::--views poll,destroy),
// to see which view costs what.
// TCPLENS_IDLE_NETNS=NAME: every run watches only that namespace (--netns),
// so other jobs' sockets on a shared host do not count as this host's work.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const [seconds, url, ...roots] = [Number(process.argv[2]), process.argv[3], ...process.argv.slice(4)];
const TICK = 100; // USER_HZ
const WARMUP_MS = 15_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** CPU seconds (all threads, as /proc/PID/stat sums them) and context switches of every thread. */
function usage(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
  let switches = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      switches += Number(s.match(/^voluntary_ctxt_switches:\s+(\d+)/m)[1]) + Number(s.match(/^nonvoluntary_ctxt_switches:\s+(\d+)/m)[1]);
    } catch {
      /* a thread ended */
    }
  }
  return { cpu: (Number(v[11]) + Number(v[12])) / TICK, switches, threads: Number(v[17]) };
}

(async () => {
  const runs = [];
  for (const [i, spec] of roots.entries()) {
    const [root, extra] = spec.split('::');
    const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'tlidle-'));
    const only = process.env.TCPLENS_IDLE_NETNS ? ['--netns', process.env.TCPLENS_IDLE_NETNS] : [];
    const args = [
      'run',
      ...only,
      '--database',
      `idle_${process.pid}_${i}`,
      '--spool-dir',
      spool,
      '--listen',
      `127.0.0.1:${await freePort()}`,
      ...(extra ? extra.trim().split(/\s+/) : []),
    ];
    const p = spawn(process.execPath, [path.join(root, 'bin/tcplens.js'), ...args], {
      env: { ...process.env, TCPLENS_CLICKHOUSE_URL: url },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    runs.push({ root: spec, p, spool });
  }
  try {
    await sleep(WARMUP_MS);
    const t0 = runs.map((r) => usage(r.p.pid));
    const w0 = Date.now();
    await sleep(seconds * 1000);
    const t1 = runs.map((r) => usage(r.p.pid));
    const wall = (Date.now() - w0) / 1000;
    const scope = process.env.TCPLENS_IDLE_NETNS ? ` (--netns ${process.env.TCPLENS_IDLE_NETNS})` : '';
    console.log(
      `bench/idle: tcplens run, default settings${scope}, side by side, ${wall.toFixed(0)} s after a ${WARMUP_MS / 1000} s warm-up`,
    );
    const base = (t1[t1.length - 1].cpu - t0[t0.length - 1].cpu) / wall;
    runs.forEach((r, i) => {
      const cpu = (t1[i].cpu - t0[i].cpu) / wall;
      console.log(
        `  ${r.root}: ${(cpu * 100).toFixed(3)}% of a core (${(cpu * 10 * 1000).toFixed(1)} ms per 10 s cycle), ` +
          `${((t1[i].switches - t0[i].switches) / wall).toFixed(1)} context switches/s, ${t1[i].threads} threads` +
          (i < runs.length - 1 ? `; ${(cpu / base).toFixed(2)}x the last` : ''),
      );
    });
  } finally {
    for (const r of runs) {
      r.p.kill('SIGTERM');
      fs.rmSync(r.spool, { recursive: true, force: true });
    }
  }
})().catch((e) => {
  console.error(`bench/idle: ${e.message}`);
  process.exit(1);
});
