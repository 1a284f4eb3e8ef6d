export { FileSpool, READ_BATCH_DEFAULTS } from './file-spool';
export {
  FILE_SPOOL_DEFAULTS,
  type FileSpoolOptions,
  type FileSpoolStats,
  type SpoolBatch,
  type SpoolCursor,
  type SpoolFullPolicy,
} from './file-spool.options';
export { PUBLISH_ACK_TIMEOUT_DEFAULT_MS } from './ack-bound';
export {
  SpoolingPublisher,
  type SpoolingPublisherOptions,
  type SpoolingPublisherStats,
} from './spooling-publisher';
export { BREAKER_DEFAULTS, type BreakerSettings, type BreakerState } from './publish-breaker';
export { DRAIN_DEFAULTS, type DrainSettings } from './spool-drainer';
export {
  isRetriableSpoolError,
  isSpoolFullError,
  SpoolClosedError,
  SpoolError,
  SpoolFullError,
  SpoolLockedError,
  SpoolWriteError,
} from './spool.errors';
export { spoolConfig } from './spool.config';
export { SPOOLING_PUBLISHER } from './spool.constants';
export { SpoolModule } from './spool.module';
export type { SpoolModuleOptions } from './spool.module-definition';
export { SpoolHealthIndicator } from './spool.health';
export { registerSpoolMetrics, BREAKER_STATE_VALUES } from './spool.metrics';
export {
  drainSpool,
  findSpools,
  spoolDrainConfig,
  SpoolDrainTimeoutError,
  type DrainedSpool,
  type FoundSpool,
} from './drain';
