// One log line per part of an eBPF view that is off (with the verifier's
// words) or runs a later variant: what `run` says at start.
import type { ViewPart } from '../../native/addon';
import { isFallback, needsOf, type BpfView } from '../../sources/parts';
import type { Logger } from '../../util/log';

export function logParts(view: BpfView, parts: readonly ViewPart[], log: Logger): void {
  for (const p of parts) {
    if (!p.up) {
      log.warn(`view.part.${view}.${p.part}`, `${view} part ${p.part} off: ${p.why}`, { view, part: p.part });
    } else if (isFallback(view, p)) {
      log.info(`view.part.${view}.${p.part}`, `${view} part ${p.part} runs as ${p.program} (${needsOf(view, p.program)})`, {
        view,
        part: p.part,
        program: p.program,
        why: p.why,
      });
    }
  }
}
