import { Module } from '@nestjs/common';
import { WorkQueueModule } from '@lib/work-queue';
import { LogsModule } from '../logs';
import { AppLogsConsumer } from './app-logs.consumer';
import { AppLogsQueue } from './app-logs.queue';

/** Flush interval of log-collector's work queues when FLUSH_INTERVAL_MS is unset (docs/contract.md). */
export const LOG_COLLECTOR_FLUSH_INTERVAL_MS = 100;

/** The `app-logs` consumer: validation, the work queue and the batch insert into `app_logs`. */
@Module({
  imports: [
    LogsModule,
    WorkQueueModule.register({ defaultFlushIntervalMs: LOG_COLLECTOR_FLUSH_INTERVAL_MS }),
  ],
  controllers: [AppLogsConsumer],
  providers: [AppLogsQueue],
})
export class LogConsumerModule {}
