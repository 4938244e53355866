// Run as its own process by test/metrics/bpf_stats.test.ts, so no other
// BPF_ENABLE_STATS holder of the test process can keep accounting on: loads
// the self-test program, runs it 100 times with our accounting on and 100
// times after closing it, and prints what was counted.
import { BpfProgStats } from '../../src/metrics/bpf_stats';
import { bpfStatsAddon } from '../../src/native/bpf_stats';

const bpf = bpfStatsAddon();
const fd = bpf.selftestLoad();
const stats = new BpfProgStats();
const enabledBefore = stats.enabled;
bpf.selftestRun(fd, 100);
stats.close();
stats.close(); // idempotent
const enabledAfter = stats.enabled;
bpf.selftestRun(fd, 100);
const p = stats.read().programs.find((x) => x.name === 'tl_selftest');
process.stdout.write(
  `${JSON.stringify({ enabledBefore, enabledAfter, runCnt: p?.runCnt ?? null, stdinIsProg: bpf.progStats(0) !== null })}\n`,
);
