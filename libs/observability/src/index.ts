export { observabilityConfig } from './observability.config';
export { createLogger, type CreateLoggerOptions } from './create-logger';
export {
  currentLogFields,
  runInLogContext,
  type LogContext,
  type LogContextFields,
} from './log-context/log-context';
export { batchLogFields, recordLogFields } from './log-context/event-log-fields';
export { traceIdOf } from './log-context/trace-id';
export { resolveLogFormat, type LogFormat } from './logging/log-format';
export { METRICS_REGISTRY } from './metrics.constants';
export { registeredMetric } from './registered-metric';
export { MetricsModule } from './metrics.module';
export { HTTP_REQUEST_DURATION, installHttpMetricsHook } from './http-metrics.hook';
export {
  JsonLogger,
  PROCESS_NAME,
  type JsonLoggerOptions,
  type LogLevelName,
} from './logging/json-logger';
export {
  MAX_MESSAGE_CHARS,
  MAX_STACK_CHARS,
  type LogKind,
  type LogRecord,
  type LogRecordInput,
  type LogRecordLevel,
} from './logging/log-record';
export { LogSink, NullLogSink } from './logging/log-sink';
export { RingLogSink, DEFAULT_RING_CAPACITY } from './logging/ring-log-sink';
export { MemoryLogSink } from './logging/memory-log-sink';
export { LogRecorder } from './logging/log-recorder';
export { LoggingModule } from './logging/logging.module';
export { QUERY_LOGGING } from './logging/logging.constants';
export {
  installRequestLogHook,
  requestLogInput,
  UNMATCHED_ROUTE,
  type RequestLogOptions,
} from './logging/request-log.hook';
export { RequestLogSummary } from './logging/request-summary';
export { errorLogInput } from './logging/error-log';
export { isSecretName, redactQuery, REDACTED } from './logging/redact';
export { normalizeSql } from './logging/sql-normalizer';
export { QueryLogger, queryLoggingOptions, type QueryLoggingOptions } from './logging/query-logger';
export * from './tracing';
