// The parts of the eBPF views (events: state, retransmit, reset_sent,
// reset_received; samples: tasks, owners) as a load left them: which variant
// runs, and why the others do not. The loader (native/bpf_parts.c) decides;
// this file only names and words it for logs, preflight and metrics.
import { addon, type PartDef, type ViewPart } from '../native/addon';
import { TcplensError, type ErrorCode } from '../util/errors';
import { CAP, hasCap, readCapEff } from '../preflight/caps';

export type BpfView = 'events' | 'samples' | 'iter';

/** Whether a view can be tried here at all (built, capable), else why not. */
export type Availability = { ok: true } | { ok: false; reason: string };

/** Why this process cannot load an eBPF view (`unbuilt`: the addon's reason
 * for lacking its skeleton, '' if built; `what`: what the view loads), or ok. */
export function bpfAvailability(unbuilt: () => string, what: string): Availability {
  let why: string;
  try {
    why = unbuilt();
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  if (why) return { ok: false, reason: why };
  const eff = readCapEff();
  const bpfOk = (hasCap(eff, CAP.BPF) && hasCap(eff, CAP.PERFMON)) || hasCap(eff, CAP.SYS_ADMIN);
  if (!bpfOk) return { ok: false, reason: `no CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN): ${what}` };
  return { ok: true };
}

/** The native tables: each view's parts and their variants, best first; [] without the addon. */
export function partDefs(view: BpfView): PartDef[] {
  try {
    return addon().viewParts()[view];
  } catch {
    return [];
  }
}

/** Every part of `view` off for one reason (not built, no capability). */
export function allOff(view: BpfView, why: string): ViewPart[] {
  return partDefs(view).map((d) => ({ part: d.part, program: '', up: false, why }));
}

/** The parts a failed load reported (the error's .parts), else every part off with its message. */
export function partsOfError(view: BpfView, e: unknown): ViewPart[] {
  const parts = (e as { parts?: ViewPart[] }).parts;
  return parts && parts.length ? parts : allOff(view, (e as Error).message);
}

/** Loads a view's programs (`load` builds the native loader) unless the
 * view is unavailable here: the loader, or TcplensError(code) saying why;
 * `parts` gets each part as the attempt left it either way. */
export function loadParts<T extends { parts: ViewPart[] }>(
  view: BpfView,
  available: Availability,
  code: ErrorCode,
  load: () => T,
  parts: (p: ViewPart[]) => void,
  failure: (e: NodeJS.ErrnoException) => string,
): T {
  if (!available.ok) {
    parts(allOff(view, available.reason));
    throw new TcplensError(code, `${view} view unavailable: ${available.reason}`);
  }
  let native: T;
  try {
    native = load();
  } catch (e) {
    parts(partsOfError(view, e));
    throw new TcplensError(code, `${view} view unavailable: ${failure(e as NodeJS.ErrnoException)}`);
  }
  parts(native.parts);
  return native;
}

/** The variant a part runs is not its first choice (the kernel refused better ones). */
export function isFallback(view: BpfView, p: ViewPart): boolean {
  const first = partDefs(view).find((d) => d.part === p.part)?.variants[0]?.program;
  return p.up && first !== undefined && p.program !== first;
}

/** What the running variant needs and gives up, from the native table. */
export function needsOf(view: BpfView, program: string): string {
  for (const d of partDefs(view)) {
    const v = d.variants.find((x) => x.program === program);
    if (v) return v.needs;
  }
  return '';
}

/** "state=btf_set_state retransmit=off ..." for one log field. */
export const partsSummary = (parts: readonly ViewPart[]): Record<string, string> =>
  Object.fromEntries(parts.map((p) => [p.part, p.up ? p.program : 'off']));

/** Whether a view with these parts runs at all, fully, or in part. */
export function viewStateOf(parts: readonly ViewPart[]): 'ok' | 'degraded' | 'off' {
  const up = parts.filter((p) => p.up).length;
  if (up === 0) return 'off';
  // classic tracepoints carry no BTF: cookies only where inet_diag made them
  return up < parts.length || parts.some((p) => p.program.startsWith('tp_')) ? 'degraded' : 'ok';
}

/** One line per part a command loses: off (with the kernel's words), or on a
 * classic tracepoint (no BTF: cookies only where inet_diag made them). */
export function partWarnings(view: BpfView, parts: readonly ViewPart[]): string[] {
  return parts.flatMap((p) => {
    if (!p.up) return [`${view}: part ${p.part} off on this kernel: ${p.why}`];
    if (p.program.startsWith('tp_'))
      return [
        `${view}: part ${p.part} runs on a classic tracepoint (${p.program}): cookies only for sockets inet_diag saw; joined on 4-tuple + netns otherwise`,
      ];
    return [];
  });
}
