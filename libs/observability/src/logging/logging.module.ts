import { Global, Module } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import { observabilityConfig } from '../observability.config';
import { LogRecorder } from './log-recorder';
import { LogSink, NullLogSink } from './log-sink';
import { QUERY_LOGGING } from './logging.constants';
import { queryLoggingOptions } from './query-logger';
import { RequestLogSummary } from './request-summary';
import { RingLogSink } from './ring-log-sink';

type ObservabilityConfig = ConfigOf<typeof observabilityConfig>;

/**
 * The app's log records: a {@link LogRecorder} writing to a {@link LogSink} (a bounded ring for the
 * shipper when `LOG_SHIP=true`, nothing otherwise), the {@link RequestLogSummary} of successful
 * requests, and the TypeORM slow-query logger options.
 * Global so that any lib can record; it owns no resources, so being destroyed last costs nothing.
 */
@Global()
@Module({
  providers: [
    observabilityConfig.provider,
    {
      provide: LogSink,
      useFactory: (config: ObservabilityConfig) =>
        config.LOG_SHIP ? new RingLogSink() : new NullLogSink(),
      inject: [observabilityConfig.token],
    },
    LogRecorder,
    {
      provide: RequestLogSummary,
      // Without shipping, the stdout line of every request is all there is: nothing to summarise.
      useFactory: (recorder: LogRecorder, config: ObservabilityConfig) =>
        new RequestLogSummary(recorder, config.LOG_SHIP ? config.LOG_REQUEST_SUMMARY_MS : 0),
      inject: [LogRecorder, observabilityConfig.token],
    },
    {
      provide: QUERY_LOGGING,
      useFactory: (recorder: LogRecorder, config: ObservabilityConfig) =>
        queryLoggingOptions(recorder, config.SLOW_QUERY_MS),
      inject: [LogRecorder, observabilityConfig.token],
    },
  ],
  exports: [LogSink, LogRecorder, RequestLogSummary, QUERY_LOGGING],
})
export class LoggingModule {}
