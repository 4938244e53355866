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
// TCPLENS_IDLE_REPS=N: N rounds (fresh processes each), medians printed.
// Beside each figure: the load average, and where each run's time went (its
// threads' CPU by thread name, and its own metrics: the seconds each view
// spent in its ticks, the kernel time of its BPF programs).
'use strict';
/* global fetch */
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { median, sleep, freePort } = require('../lib.js');

const [seconds, url, ...roots] = [Number(process.argv[2]), process.argv[3], ...process.argv.slice(4)];
const TICK = 100; // USER_HZ
const WARMUP_MS = 15_000;

/** CPU seconds (all threads, as /proc/PID/stat sums them), context switches and CPU by thread name. */
function usage(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
  let switches = 0;
  const byThread = {};
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      switches += Number(s.match(/^voluntary_ctxt_switches:\s+(\d+)/m)[1]) + Number(s.match(/^nonvoluntary_ctxt_switches:\s+(\d+)/m)[1]);
      const st = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const name = t === String(pid) ? 'main' : st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')).replace(/\d+$/, 'N');
      const w = st.slice(st.lastIndexOf(')') + 2).split(' ');
      byThread[name] = (byThread[name] ?? 0) + (Number(w[11]) + Number(w[12])) / TICK;
    } catch {
      /* a thread ended */
    }
  }
  return { cpu: (Number(v[11]) + Number(v[12])) / TICK, switches, threads: Number(v[17]), byThread };
}

/** The run's own counters: seconds per view tick, kernel seconds per BPF program, ticks per view. */
async function metrics(port) {
  const out = {};
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    for (const line of (await res.text()).split('\n')) {
      const m = line.match(
        /^tcplens_(view_tick_seconds_total|view_ticks_total|bpf_prog_run_seconds_total)\{(?:view|program)="([^"]+)"\} (\S+)$/,
      );
      if (m)
        out[`${m[1] === 'bpf_prog_run_seconds_total' ? 'bpf' : m[1] === 'view_ticks_total' ? 'ticks' : 'tick_s'}:${m[2]}`] = Number(m[3]);
    }
  } catch {
    /* no metrics: the split is left out */
  }
  return out;
}

const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

async function round(rep) {
  const runs = [];
  for (const [i, spec] of roots.entries()) {
    const [root, extra] = spec.split('::');
    const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'tlidle-'));
    const only = process.env.TCPLENS_IDLE_NETNS ? ['--netns', process.env.TCPLENS_IDLE_NETNS] : [];
    const port = await freePort();
    const args = [
      'run',
      ...only,
      '--database',
      `idle_${process.pid}_${rep}_${i}`,
      '--spool-dir',
      spool,
      '--listen',
      `127.0.0.1:${port}`,
      ...(extra ? extra.trim().split(/\s+/) : []),
    ];
    const p = spawn(process.execPath, [path.join(root, 'bin/tcplens.js'), ...args], {
      env: { ...process.env, TCPLENS_CLICKHOUSE_URL: url },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    runs.push({ root: spec, p, spool, port });
  }
  try {
    await sleep(WARMUP_MS);
    const load0 = load();
    const t0 = runs.map((r) => usage(r.p.pid));
    const m0 = await Promise.all(runs.map((r) => metrics(r.port)));
    const w0 = Date.now();
    await sleep(seconds * 1000);
    const t1 = runs.map((r) => usage(r.p.pid));
    const m1 = await Promise.all(runs.map((r) => metrics(r.port)));
    const wall = (Date.now() - w0) / 1000;
    const scope = process.env.TCPLENS_IDLE_NETNS ? ` (--netns ${process.env.TCPLENS_IDLE_NETNS})` : '';
    console.log(
      `bench/idle round ${rep + 1}: tcplens run, default settings${scope}, side by side, ${wall.toFixed(0)} s after a ` +
        `${WARMUP_MS / 1000} s warm-up; load average ${load0} at the start, ${load()} at the end`,
    );
    const cpus = runs.map((r, i) => (t1[i].cpu - t0[i].cpu) / wall);
    const base = cpus[cpus.length - 1];
    runs.forEach((r, i) => {
      const cpu = cpus[i];
      console.log(
        `  ${r.root}: ${(cpu * 100).toFixed(3)}% of a core (${(cpu * 10 * 1000).toFixed(1)} ms per 10 s cycle), ` +
          `${((t1[i].switches - t0[i].switches) / wall).toFixed(1)} context switches/s, ${t1[i].threads} threads` +
          (i < runs.length - 1 ? `; ${(cpu / base).toFixed(2)}x the last` : ''),
      );
      const th = Object.keys(t1[i].byThread)
        .map((k) => [k, t1[i].byThread[k] - (t0[i].byThread[k] ?? 0)])
        .filter(([, d]) => d > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([k, d]) => `${k} ${((d / wall) * 1000).toFixed(2)}`);
      console.log(`    threads, ms of CPU per s: ${th.join(', ') || '-'}`);
      const split = Object.keys(m1[i])
        .filter((k) => !k.startsWith('ticks:'))
        .map((k) => [k, m1[i][k] - (m0[i][k] ?? 0)])
        .filter(([, d]) => d > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([k, d]) => {
          const ticks = k.startsWith('tick_s:') ? m1[i][`ticks:${k.slice(7)}`] - (m0[i][`ticks:${k.slice(7)}`] ?? 0) : null;
          return `${k} ${((d / wall) * 1000).toFixed(3)}${ticks === null ? '' : ` (${ticks} ticks)`}`;
        });
      console.log(
        `    its metrics, ms per s (tick_s: wall time in view ticks; bpf: kernel time in programs, counted only while --bpf-stats holds stats on): ${split.join(', ') || '-'}`,
      );
    });
    return cpus;
  } finally {
    for (const r of runs) {
      r.p.kill('SIGTERM');
      fs.rmSync(r.spool, { recursive: true, force: true });
    }
    await sleep(2000); // let them stop before the next round
  }
}

(async () => {
  const reps = Math.max(1, Number(process.env.TCPLENS_IDLE_REPS ?? 1));
  const all = [];
  for (let rep = 0; rep < reps; rep++) all.push(await round(rep));
  if (reps > 1) {
    console.log(`bench/idle: medians of ${reps} rounds of ${seconds} s`);
    const base = median(all.map((c) => c[c.length - 1]));
    roots.forEach((spec, i) => {
      const m = median(all.map((c) => c[i]));
      console.log(
        `  ${spec}: ${(m * 100).toFixed(3)}% of a core (rounds: ${all.map((c) => (c[i] * 100).toFixed(3)).join(', ')})` +
          (i < roots.length - 1 ? `; ${(m / base).toFixed(2)}x the last` : ''),
      );
    });
  }
})().catch((e) => {
  console.error(`bench/idle: ${e.message}`);
  process.exit(1);
});
