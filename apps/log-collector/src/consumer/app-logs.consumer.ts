import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type BatchResult, type IncomingEvent } from '@lib/queue';
import { WorkQueueBatch } from '@lib/work-queue';
import { EventValidationError } from '@lib/retry';
import type { StorableLog } from '../logs';
import { parseAppLog } from './app-log-payload';
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
    const valid: IncomingEvent<StorableLog>[] = [];
    const failed: Array<{ eventId: string; error: unknown }> = [];
    for (const event of events) {
      const parsed = parseAppLog(event.payload);
      if (parsed.ok) valid.push({ ...event, payload: parsed.log });
      else
        failed.push({
          eventId: event.eventId,
          error: new EventValidationError(`invalid app-logs record ${event.eventId}: ${parsed.problem}`),
        });
    }
    if (valid.length > 0) await this.logs.queue.add(valid);
    return failed.length > 0 ? { failed } : {};
  }
}
