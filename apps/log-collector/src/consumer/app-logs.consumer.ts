import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { validateBatch, type BatchResult, type IncomingEvent } from '@lib/queue';
import { WorkQueueBatch } from '@lib/work-queue';
import type { StorableLog } from '../logs';
import { appLogPayload } from './app-log-payload';
import { AppLogsQueue } from './app-logs.queue';

/**
 * Consumes `app-logs`: each record is validated (logInput plus `eventId`, `receivedAt`); an
 * invalid one fails alone with a non-retryable {@link EventValidationError} (dead-lettered), the
 * valid ones go to the work queue and the batch settles once their flush has committed.
 */
@Controller()
export class AppLogsConsumer {
  constructor(private readonly logs: AppLogsQueue) {}

  @EventPattern('app-logs')
  @WorkQueueBatch()
  async handle(@Payload() events: IncomingEvent<unknown>[]): Promise<BatchResult> {
    const { valid, result } = validateBatch(events, appLogPayload);
    if (valid.length > 0) await this.logs.queue.add(valid as IncomingEvent<StorableLog>[]);
    return result;
  }
}
