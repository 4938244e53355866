// How much longer a wait may take here than on a host of its own. The kernel
// matrix's guests run under TCG, beside the host suite, and set it (guest-run.js):
// a wait there is a guard against a hang, not a bound on the kernel's speed.
export const TIME_SCALE = Math.max(1, Number(process.env['TCPLENS_TEST_TIME_SCALE']) || 1);

/** `ms` as long as a wait for it may take on this machine. */
export function scaled(ms: number): number {
  return ms * TIME_SCALE;
}
