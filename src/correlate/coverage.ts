// Names for combinations of views: the coverage counters' label values
// ("poll+events"), few and fixed, never per flow.
import { VIEW_DESTROY, VIEW_EVENTS, VIEW_POLL, VIEW_SAMPLES } from './flow_row';

const NAMES: Array<[number, string]> = [
  [VIEW_POLL, 'poll'],
  [VIEW_DESTROY, 'destroy'],
  [VIEW_EVENTS, 'events'],
  [VIEW_SAMPLES, 'samples'],
];

export function viewsName(bits: number): string {
  const parts = NAMES.filter(([b]) => bits & b).map(([, n]) => n);
  return parts.length ? parts.join('+') : 'none';
}
