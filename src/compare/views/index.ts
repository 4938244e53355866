// Every view compare can measure, by name.
import type { DriverFactory } from './driver';
import { pollDriver } from './poll';
import { destroyDriver } from './destroy';
import { eventsDriver } from './events';
import { samplesDriver } from './samples';
import { targetedDriver } from './targeted';
import { adaptiveDriver } from './adaptive';

export type ViewName = 'poll' | 'destroy' | 'events' | 'samples' | 'targeted' | 'adaptive';

export const DRIVERS: Record<ViewName, DriverFactory> = {
  poll: pollDriver,
  destroy: destroyDriver,
  events: eventsDriver,
  samples: samplesDriver,
  targeted: targetedDriver,
  adaptive: adaptiveDriver,
};
