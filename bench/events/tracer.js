#!/usr/bin/env node
// The tcplens side of bench/events: the events source `tcplens run` opens
// (runEventSource: its reader thread, its ring and drain defaults), on one
// namespace, drained as run drains it. Protocol on stdio: prints "ready"
// once attached; the first stdin line starts the measured window (CPU of
// this whole process, every thread); stdin EOF ends it with one last drain
// and prints one JSON line: events, lost, batches, malformed, cpu_us.
//   node tracer.js NETNS_NAME [DRAIN_MS] [KINDS_MASK]  (DRAIN_MS 0: run's default; mask 0: every kind)
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const dist = path.join(__dirname, '../../dist/src');
const { runEventSource } = require(`${dist}/run/views/events.js`);
const { RUN_OPTIONS } = require(`${dist}/run/options.js`);
const { parseDuration, parseRingBytes } = require(`${dist}/util/units.js`);

const ino = fs.statSync(`/run/netns/${process.argv[2]}`).ino;
const drainMs = Number(process.argv[3] || 0) || parseDuration(RUN_OPTIONS['drain-interval'].default);
const src = runEventSource([ino], Number(process.argv[4] || 0), parseRingBytes(RUN_OPTIONS['ring-bytes'].default), drainMs);
src.start();
let events = 0;
const count = (b) => {
  events += b.rows;
};
let timer = null;
// the first drain starts the reader thread (run drains at start-up too):
// before it, nothing empties the ring and a churn fills it in ~40 ms
src.drain(count).then(() => {
  timer = src.drainEvery(drainMs, count, (e) => process.stderr.write(`${e.message}\n`));
  process.stdout.write('ready\n');
});
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
