import {
  Body,
  ConflictException,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  ServiceUnavailableException,
} from '@nestjs/common';
import { BadInputException } from '@lib/platform';
import { z } from 'zod';
import { isoTime, parseAdminInput } from './admin-input';
import { AdminAudit } from './admin-audit';
import {
  OffsetResetRefusedError,
  type OffsetResetPlan,
  type OffsetResetTarget,
} from './offset-reset';
import { BrokerConnectionError } from './queue.errors';
import { QUEUE_TRANSPORT } from './queue.constants';
import type { QueueServer } from './runtime/queue-server';

const TARGET_PROBLEM = 'expected "earliest", "latest" or an ISO 8601 time';

const resetBody = z.strictObject(
  {
    to: z.union(
      [
        z.literal('earliest').transform((): OffsetResetTarget => ({ kind: 'earliest' })),
        z.literal('latest').transform((): OffsetResetTarget => ({ kind: 'latest' })),
        isoTime.transform((at): OffsetResetTarget => ({ kind: 'timestamp', at })),
      ],
      { message: TARGET_PROBLEM },
    ),
    dryRun: z.boolean({ message: 'expected true or false' }).default(true),
  },
  { message: 'expected a JSON object' },
);

/**
 * `POST /admin/streams/:stream/pause`, `/resume` and `/offsets` of docs/contract.md: an operator's
 * pause (held apart from backpressure's) and offset reset, each with an audit line.
 */
@Controller('admin/streams')
export class StreamsController {
  constructor(
    @Inject(QUEUE_TRANSPORT) private readonly transport: QueueServer,
    private readonly audit: AdminAudit,
  ) {}

  @Post(':stream/pause')
  @HttpCode(200)
  pause(
    @Param('stream') stream: string,
    @Headers('x-api-key') key: unknown,
  ): { stream: string; paused: boolean } {
    this.known(stream);
    this.transport.control.pause(stream, 'operator');
    this.audit.record(key, 'pause', { stream });
    return { stream, paused: true };
  }

  @Post(':stream/resume')
  @HttpCode(200)
  resume(
    @Param('stream') stream: string,
    @Headers('x-api-key') key: unknown,
  ): { stream: string; paused: boolean } {
    this.known(stream);
    this.transport.control.resume(stream, 'operator');
    this.audit.record(key, 'resume', { stream });
    return {
      stream,
      paused: this.transport.control.status().some((s) => s.stream === stream && s.paused),
    };
  }

  @Post(':stream/offsets')
  @HttpCode(200)
  async resetOffsets(
    @Param('stream') stream: string,
    @Body() body: unknown,
    @Headers('x-api-key') key: unknown,
  ): Promise<OffsetResetPlan> {
    this.known(stream);
    const { to, dryRun } = parseAdminInput(resetBody, body ?? undefined);
    let plan: OffsetResetPlan;
    try {
      plan = await this.transport.resetOffsets(stream, to, dryRun);
    } catch (error) {
      if (error instanceof OffsetResetRefusedError) throw new ConflictException(error.message);
      if (error instanceof BrokerConnectionError)
        throw new ServiceUnavailableException(error.message);
      throw error;
    }
    if (!dryRun)
      this.audit.record(key, 'offset reset', {
        stream,
        to: plan.to,
        partitions: plan.partitions.map((p) => ({
          partition: p.partition,
          from: p.current,
          to: p.target,
        })),
      });
    return plan;
  }

  private known(stream: string): void {
    const known = this.transport.streams();
    if (!known.includes(stream))
      throw new BadInputException([
        {
          field: 'stream',
          problem: `unknown stream; this app consumes ${known.join(', ') || 'none'}`,
        },
      ]);
  }
}
