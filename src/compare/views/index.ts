// Every view compare can measure, by name.
import type { DriverFactory } from './driver';
import { pollDriver } from './poll';
import { destroyDriver } from './destroy';
import { eventsDriver } from './events';
import { samplesDriver } from './samples';

export type ViewName = 'poll' | 'destroy' | 'events' | 'samples';

export const DRIVERS: Record<ViewName, DriverFactory> = {
  poll: pollDriver,
  destroy: destroyDriver,
  events: eventsDriver,
  samples: samplesDriver,
};
