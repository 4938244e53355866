// The eBPF views' verdicts come from loading the views' own programs: the
// same skeletons, variants and settings `run` loads, loaded and closed again.
// So "ok" is a promise about what `run` gets, part by part.
import type { ViewPart } from '../native/addon';
import { EventSource, FLOW_KINDS } from '../sources/events';
import { SampleSource } from '../sources/samples';
import { IterPollSource } from '../sources/iter_poll';

export interface ViewProbe {
  /** each part: the variant that loaded, or off and why */
  parts: ViewPart[];
  /** why the view cannot run at all; null when at least one part loaded */
  error: string | null;
}

function probe(src: { start(): void; parts(): ViewPart[]; close(): void }): ViewProbe {
  try {
    src.start();
    return { parts: src.parts(), error: null };
  } catch (e) {
    return { parts: src.parts(), error: (e as Error).message };
  } finally {
    src.close();
  }
}

/** The events view as `run` opens it (the kinds the flow table uses, the default ring). */
export const probeEventsView = (): ViewProbe => probe(new EventSource({ kinds: FLOW_KINDS }));

/** The samples view as `run` opens it. */
export const probeSamplesView = (): ViewProbe => probe(new SampleSource({}));

/** The iterator poll (--poll-via iter) as `run` opens it. */
export const probeIterPoll = (): ViewProbe => probe(new IterPollSource({ netns: { kind: 'list', items: ['host'] } }));
