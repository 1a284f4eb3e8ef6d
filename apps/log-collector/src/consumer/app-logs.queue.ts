import { Injectable } from '@nestjs/common';
import type { IncomingEvent } from '@lib/queue';
import { WorkQueueRegistry, type BatchingWorkQueue } from '@lib/work-queue';
import { LogStore, type StorableLog } from '../logs';

/** Name of the work queue (metrics label, readiness key `work-queue:app-logs`, dedupe scope). */
export const APP_LOGS_QUEUE = 'app-logs';

/**
 * The append queue in front of `app_logs`: validated records are buffered and written every
 * flush interval in one unnest insert inside the flush's transaction (with the processed ids and
 * the Kafka offsets).
 */
@Injectable()
export class AppLogsQueue {
  readonly queue: BatchingWorkQueue<StorableLog, StorableLog>;

  constructor(registry: WorkQueueRegistry, store: LogStore) {
    this.queue = registry.append<StorableLog, StorableLog>({
      name: APP_LOGS_QUEUE,
      rowOf: (event: IncomingEvent<StorableLog>) => event.payload,
      write: (runner, rows) => store.insertBatch(rows, runner),
    });
  }
}
