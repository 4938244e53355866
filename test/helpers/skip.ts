import { spawnSync } from 'child_process';
// A test that can only run with something the host may lack (root, eBPF, a
// tool) says why it skips, in the run's output, and skips.
export function skipIf(ctx: Mocha.Context, cond: unknown, why: string): void {
  if (!cond) return;
  console.log(`    skipped: ${why}`);
  ctx.skip();
}

/** Whether a command is on PATH (a tool the test drives). */
export function haveCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
