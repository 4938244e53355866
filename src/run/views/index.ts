// The views `tcplens run` knows, in the order they open and tick: the first
// (poll) paces the loop; targeted follows events, whose batches it reads. A new view is a file beside these and a line here.
import type { ViewFactory } from '../view';
import { pollView } from './poll';
import { destroyView } from './destroy';
import { eventsView } from './events';
import { samplesView } from './samples';
import { targetedView } from './targeted';

export const VIEW_FACTORIES: readonly ViewFactory[] = [pollView, destroyView, eventsView, targetedView, samplesView];
