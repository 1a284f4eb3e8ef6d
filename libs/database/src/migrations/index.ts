import { ConsumerOffsets1795435200000 } from './1795435200000-ConsumerOffsets';
import { AppLogs1795521600000 } from './1795521600000-AppLogs';
import { PageViewsDaily1795611600000 } from './1795611600000-PageViewsDaily';

/** Every migration of the project, oldest first; the one list the apps and the CLI run. */
export const ALL_MIGRATIONS = [ConsumerOffsets1795435200000, AppLogs1795521600000, PageViewsDaily1795611600000];
