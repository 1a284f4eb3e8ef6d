export { drainSpool, type DrainedSpool, type DrainSpoolOptions } from './drain-spool';
export { findSpools, type FoundSpool } from './spool-directories';
export { spoolDrainConfig } from './spool-drain.config';
export { SpoolDrainTimeoutError } from './spool-drain.errors';
