// Run as its own process by test/metrics/bpf_stats.test.ts, so no other
// BPF_ENABLE_STATS holder of the test process can keep accounting on: loads
// the self-test program and prints what was counted.
//   (no argument)  runs it 100 times with our accounting on and 100 times after closing it
//   window         held 300 ms of every 1,000: 100 runs in the first window, 100 after
//                  it, 100 in the second window
import { BpfProgStats } from '../../src/metrics/bpf_stats';
import { bpfStatsAddon } from '../../src/native/bpf_stats';

const bpf = bpfStatsAddon();
const fd = bpf.selftestLoad();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const runs = (stats: BpfProgStats): number | null => stats.read().programs.find((x) => x.name === 'tl_selftest')?.runCnt ?? null;

async function main(): Promise<void> {
  if (process.argv[2] === 'window') {
    const t0 = performance.now();
    const stats = new BpfProgStats({ forMs: 300, everyMs: 1000 });
    const inFirst = stats.enabled;
    bpf.selftestRun(fd, 100);
    await sleep(500);
    const between = stats.enabled;
    bpf.selftestRun(fd, 100);
    await sleep(1100 - (performance.now() - t0));
    const inSecond = stats.enabled;
    bpf.selftestRun(fd, 100);
    const held = stats.heldSeconds,
      ran = (performance.now() - t0) / 1000;
    stats.close();
    process.stdout.write(`${JSON.stringify({ inFirst, between, inSecond, runCnt: runs(stats), held, ran })}\n`);
    return;
  }
  const stats = new BpfProgStats();
  const enabledBefore = stats.enabled;
  bpf.selftestRun(fd, 100);
  stats.close();
  stats.close(); // idempotent
  const enabledAfter = stats.enabled;
  bpf.selftestRun(fd, 100);
  process.stdout.write(`${JSON.stringify({ enabledBefore, enabledAfter, runCnt: runs(stats), stdinIsProg: bpf.progStats(0) !== null })}\n`);
}
void main();
