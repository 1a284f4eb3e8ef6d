import { ConsumerOffsets1795435200000 } from './1795435200000-ConsumerOffsets';
import { AppLogs1795521600000 } from './1795521600000-AppLogs';
import { PageViewsDaily1795611600000 } from './1795611600000-PageViewsDaily';
import { Candles1795700000000 } from './1795700000000-Candles';
import { SalesAndPopularProducts1795710000000 } from './1795710000000-SalesAndPopularProducts';
import { DeliveryResults1795720000000 } from './1795720000000-DeliveryResults';
import { PageViewsSketchCompression1795730000000 } from './1795730000000-PageViewsSketchCompression';
import { PageVisitorSketches1795740000000 } from './1795740000000-PageVisitorSketches';
import { PageViewUpdates1795750000000 } from './1795750000000-PageViewUpdates';
import { DedupeIds1795760000000 } from './1795760000000-DedupeIds';

/** Every migration of the project, oldest first; the one list the apps and the CLI run. */
export const ALL_MIGRATIONS = [
  ConsumerOffsets1795435200000,
  AppLogs1795521600000,
  PageViewsDaily1795611600000,
  Candles1795700000000,
  SalesAndPopularProducts1795710000000,
  DeliveryResults1795720000000,
  PageViewsSketchCompression1795730000000,
  PageVisitorSketches1795740000000,
  PageViewUpdates1795750000000,
  DedupeIds1795760000000,
];
