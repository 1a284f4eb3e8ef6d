export { DEFAULT_RETRY_POLICY } from './retry.defaults';
export {
  decideRetry,
  resolveRetryPolicy,
  retryTiers,
  type RetryDecision,
  type RetryPolicy,
} from './retry-policy';
export {
  errorClassOf,
  EventValidationError,
  isRetriable,
  MalformedPayloadError,
  RetryableAwareError,
} from './retry.errors';
export { formatDelay, topologyNames } from './topology-names';
export { failureHeaders, replayHeaders, truncateBytes, type EventSource } from './failure-headers';
