import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  withRecordTimes,
  type BatchResult,
  type IncomingEvent,
  type QueueContext,
} from '@lib/queue';
import { addValidEvents, WorkQueueBatch } from '@lib/work-queue';
import { appLogPayload } from './app-log-payload';
import { AppLogsQueue } from './app-logs.queue';

/**
 * Consumes `app-logs`: each record is validated (logInput plus `eventId` and `receivedAt`, which
 * defaults to the record's time, as `occurredAt` does to `receivedAt`); an
 * invalid one fails alone with a non-retryable {@link EventValidationError} (dead-lettered), the
 * valid ones go to the work queue and the batch settles once their flush has committed.
 */
@Controller()
export class AppLogsConsumer {
  constructor(private readonly logs: AppLogsQueue) {}

  @EventPattern('app-logs')
  @WorkQueueBatch()
  handle(
    @Payload() events: IncomingEvent<unknown>[],
    @Ctx() context: QueueContext,
  ): Promise<BatchResult> {
    return addValidEvents(this.logs.queue, withRecordTimes(events, context), appLogPayload);
  }
}
