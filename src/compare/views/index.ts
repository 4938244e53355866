// Every view compare can measure, by name.
import type { DriverFactory } from './driver';
import { pollDriver } from './poll';
import { destroyDriver } from './destroy';
import { eventsDriver } from './events';
import { samplesDriver } from './samples';
import { targetedDriver } from './targeted';
import { adaptiveDriver } from './adaptive';
import { hostDriver, iterDriver } from './iter';

export type ViewName = 'poll' | 'iter' | 'host' | 'destroy' | 'events' | 'samples' | 'targeted' | 'adaptive';
export { isPolled } from './polled';

export const DRIVERS: Record<ViewName, DriverFactory> = {
  poll: pollDriver,
  iter: iterDriver,
  host: hostDriver,
  destroy: destroyDriver,
  events: eventsDriver,
  samples: samplesDriver,
  targeted: targetedDriver,
  adaptive: adaptiveDriver,
};
