// bench/flow_table/mem.js: heap bytes per flow of the flow table, beside the
// same process's heap with no flows (the anchor), for N synthetic poll rows
// kept over C cycles (health accounts on, as `tcplens run` keeps them).
// Usage: node --expose-gc bench/flow_table/mem.js [--flows N] [--cycles C] [--reps R]
'use strict';
const path = require('path');
const dist = path.join(__dirname, '../../dist/src');
const { FlowTable } = require(`${dist}/correlate/flow_table`);
const { HealthAccounts } = require(`${dist}/correlate/health`);
const { PollBatch } = require(`${dist}/layout/batch`);

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('flows', 100_000),
  C = arg('cycles', 3),
  REPS = arg('reps', 3);
if (typeof global.gc !== 'function') {
  console.error('mem.js: run with node --expose-gc');
  process.exit(2);
}
const BATCH = 4096;

/** poll batches of n loopback flows at cycle c: bytes grow each cycle */
function batches(n, c) {
  const out = [];
  for (let at = 0; at < n; at += BATCH) {
    const b = new PollBatch(BATCH);
    const rows = Math.min(BATCH, n - at);
    const fam = b.u8('idiag_family'),
      st = b.u8('idiag_state'),
      sp = b.u16('sport'),
      dp = b.u16('dport'),
      ck = b.u64('idiag_cookie'),
      ts = b.u64('ts_ns'),
      ino = b.u32('idiag_inode'),
      ack = b.u64('tcpi_bytes_acked'),
      rtt = b.u32('tcpi_rtt'),
      so = b.u32('tcpi_segs_out');
    const src = b.views.src,
      dst = b.views.dst;
    for (let i = 0; i < rows; i++) {
      const k = at + i;
      fam[i] = 2;
      st[i] = 1;
      sp[i] = 1024 + (k % 60000);
      dp[i] = 65100 + (k % 16);
      ck[i] = BigInt(1_000_000 + k);
      ts[i] = 1_700_000_000_000_000_000n + BigInt(c) * 3_000_000_000n;
      ino[i] = 5_000_000 + k;
      ack[i] = BigInt(1000 * (c + 1) + k);
      rtt[i] = 30 + (k % 7);
      so[i] = 10 * (c + 1);
      src.set([127, 0, 0, 1], i * 16);
      dst.set([127, 0, (k >> 8) & 255, k & 255], i * 16);
    }
    b.rows = rows;
    out.push(b);
  }
  return out;
}

function heap() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

function once() {
  const input = Array.from({ length: C }, (_, c) => batches(N, c));
  const t = new FlowTable({ health: new HealthAccounts() });
  const ns = 4026531840n;
  const before = heap();
  let cpu = 0,
    first = 0;
  for (let c = 0; c < C; c++) {
    const t0 = process.cpuUsage();
    t.beginCycle(ns);
    for (const b of input[c]) t.observePoll(b, ns);
    t.endCycle(ns);
    const d = process.cpuUsage(t0);
    if (c > 0) cpu += d.user + d.system;
    else first = d.user + d.system;
  }
  const after = heap();
  if (t.stats().tracked !== N) throw new Error(`tracked ${t.stats().tracked} of ${N}`);
  return { perFlow: (after - before) / N, usPerRow: C > 1 ? cpu / (C - 1) / N : 0, usFirst: first / N, keep: t };
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const res = [];
for (let r = 0; r < REPS; r++) {
  res.push(once());
  global.gc();
}
console.log(
  `flow table, ${N} flows, ${C} cycles, median of ${REPS}: ${med(res.map((r) => r.perFlow)).toFixed(0)} heap bytes per flow` +
    ` (goal 150); ${med(res.map((r) => r.usPerRow)).toFixed(3)} us CPU per known row per cycle;` +
    ` first cycle (every flow new) ${med(res.map((r) => r.usFirst)).toFixed(3)} us a row (${(med(res.map((r) => r.usFirst)) / med(res.map((r) => r.usPerRow))).toFixed(2)}x a known row)`,
);
