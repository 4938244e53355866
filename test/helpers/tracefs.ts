// The events tests that load classic tracepoints: they need tracefs, which is
// not mounted at boot on every host. Mounted for a suite, unmounted after if
// it was not there before; the suite skips, saying why, without root or eBPF.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { skipUnlessEvents } from './events';

export const TRACEFS = '/sys/kernel/tracing';

/** before/after hooks for a describe() whose tests load the events view with tracefs. */
export function eventsWithTracefs(): { before: (this: Mocha.Context) => void; after: () => void } {
  let mounted = true;
  return {
    before(this: Mocha.Context) {
      skipUnlessEvents(this);
      mounted = fs.readFileSync('/proc/mounts', 'utf8').includes(` ${TRACEFS} tracefs `);
      if (!mounted) execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS]);
    },
    after() {
      if (!mounted) execFileSync('umount', [TRACEFS]);
    },
  };
}
