// What `run` logs of its views at start: one line per part of an eBPF view
// that is off (with the verifier's words) or runs a later variant, and a
// namespace a netlink view cannot enter.
import type { ViewPart } from '../../native/addon';
import type { NetnsInfo } from '../../netns/discover';
import type { OpenError } from '../../netns/tracker';
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

/** Starts an eBPF view's source: false, with the reason logged, when no part
 * runs; true with its parts logged when some do. */
export function startParts(view: BpfView, src: { start(): void; parts(): ViewPart[] }, log: Logger): boolean {
  try {
    src.start();
  } catch (e) {
    log.warn(`view.${view}`, (e as Error).message);
    return false;
  }
  logParts(view, src.parts(), log);
  return true;
}

/** The warning a netlink view logs for a namespace it cannot enter. */
export const warnOpenError =
  (log: Logger, view: string) =>
  (ns: NetnsInfo, e: OpenError): void => {
    log.warn(`netns.open.${view}.${ns.name}`, 'cannot enter network namespace', { view, netns: ns.name, code: e.code, error: e.message });
  };
