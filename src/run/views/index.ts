// The views `tcplens run` knows, in the order they open and tick: the first
// (poll) paces the loop. A new view is a file beside these and a line here.
import type { ViewFactory } from '../view';
import { pollView } from './poll';
import { destroyView } from './destroy';
import { eventsView } from './events';
import { samplesView } from './samples';

export const VIEW_FACTORIES: readonly ViewFactory[] = [pollView, destroyView, eventsView, samplesView];
