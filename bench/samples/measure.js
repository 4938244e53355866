#!/usr/bin/env node
// One tcplens sampler in this process: ITERS passes back to back, one JSON
// line per pass with the process's CPU (user + sys, every thread: JS and the
// libuv worker that reads the iterator), the reading thread's own CPU as the
// addon counts it, rows, and the RSS added; then ITERS passes of a second
// sampler with BPF_STATS_RUN_TIME held on (by this process only, while it
// runs): one line each with the BPF program's kernel run time.
//   measure.js MODE ITERS     MODE: active | all | floor (iterate, emit nothing)
const path = require('path');
const { SampleSource, sampleAvailability } = require(path.join(__dirname, '../../dist/src/sources/samples.js'));

async function main() {
  const [mode, itersArg] = process.argv.slice(2);
  const iters = Number(itersArg);
  const a = sampleAvailability(); // loads the addon: its RSS is not the sampler's
  if (!a.ok) {
    console.error(`measure: ${a.reason}`);
    process.exit(1);
  }
  // floor: a pid filter no thread matches; the kernel walks every task and stops at the filter
  const opts = mode === 'floor' ? { pid: 0xfffffff0 } : { all: mode === 'all' };
  const consume = (b) => {
    const pid = b.u32('pid');
    for (let k = 0; k < b.rows; k++) check += pid[k]; // a consumer that reads a column
  };
  let check = 0;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const src = new SampleSource(opts);
  src.start();
  for (let i = 0; i < iters; i++) {
    const s0 = src.stats();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = await src.sample(consume);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    const s1 = src.stats();
    console.log(
      JSON.stringify({
        mode,
        iter: i,
        rows: r.rows,
        tasksSeen: s1.tasksSeen - s0.tasksSeen,
        cpuMs: (c.user + c.system) / 1000,
        userMs: c.user / 1000,
        sysMs: c.system / 1000,
        readCpuMs: (s1.cpuNs - s0.cpuNs) / 1e6,
        wallMs,
        rssAddedMB: (process.memoryUsage().rss - rss0) / 2 ** 20,
        dropped: s1.dropped,
        malformed: s1.malformed,
      }),
    );
  }
  src.close();
  // The BPF program's own run time, from a second sampler with the kernel's
  // run-time statistics on (they cost ~2 clock reads per program run, so the
  // CPU figures above are taken without them).
  const timed = new SampleSource({ ...opts, runStats: true });
  timed.start();
  for (let i = 0; i < iters; i++) {
    const s0 = timed.stats();
    await timed.sample(consume);
    const s1 = timed.stats();
    console.log(
      JSON.stringify({ mode, iter: i, bpfMs: (s1.bpfRunNsTasks - s0.bpfRunNsTasks) / 1e6, bpfRuns: s1.bpfRunsTasks - s0.bpfRunsTasks }),
    );
  }
  timed.close();
  if (check < 0) console.log(check);
}
main().catch((e) => {
  console.error(`measure: ${e.message}`);
  process.exit(1);
});
