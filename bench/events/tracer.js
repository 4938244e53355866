#!/usr/bin/env node
// The tcplens side of bench/events: an EventSource on one namespace, drained
// every 100 ms as `tcplens run` would. Protocol on stdio: prints "ready"
// once attached; the first stdin line starts the measured window (CPU of
// this whole process, every thread); stdin EOF ends it with one last drain
// and prints one JSON line: events, lost, batches, malformed, cpu_us.
//   node tracer.js NETNS_NAME [DRAIN_MS] [KINDS_MASK]  (mask 0: every kind)
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { EventSource } = require(path.join(__dirname, '../../dist/src/sources/events.js'));

const ino = fs.statSync(`/run/netns/${process.argv[2]}`).ino;
const drainMs = Number(process.argv[3] || 100);
const src = new EventSource({ netns: [ino], kinds: Number(process.argv[4] || 0) });
src.start();
let events = 0;
const timer = src.drainEvery(
  drainMs,
  (b) => {
    events += b.rows;
  },
  (e) => {
    process.stderr.write(`${e.message}\n`);
  },
);
process.stdout.write('ready\n');
let cpu0 = null;
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', () => {
  if (!cpu0) cpu0 = process.cpuUsage();
});
rl.on('close', async () => {
  await timer.stop();
  const cpu = process.cpuUsage(cpu0 || undefined);
  const st = src.stats();
  src.close();
  process.stdout.write(
    `${JSON.stringify({ events, lost: st.lost, batches: st.batches, malformed: st.malformed, cpu_us: cpu.user + cpu.system })}\n`,
  );
});
