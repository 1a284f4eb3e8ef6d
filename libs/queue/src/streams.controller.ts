import { Controller, Headers, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { BadInputException } from '@lib/platform';
import { auditAdminAction } from './admin-audit';
import { QUEUE_TRANSPORT } from './queue.constants';
import type { QueueServer } from './runtime/queue-server';

/** `POST /admin/streams/:stream/pause` and `/resume` of docs/contract.md, through ConsumerControl. */
@Controller('admin/streams')
export class StreamsController {
  constructor(@Inject(QUEUE_TRANSPORT) private readonly transport: QueueServer) {}

  @Post(':stream/pause')
  @HttpCode(200)
  pause(
    @Param('stream') stream: string,
    @Headers('x-api-key') key: unknown,
  ): { stream: string; paused: boolean } {
    this.known(stream);
    this.transport.control.pause(stream);
    auditAdminAction(key, 'pause', { stream });
    return { stream, paused: true };
  }

  @Post(':stream/resume')
  @HttpCode(200)
  resume(
    @Param('stream') stream: string,
    @Headers('x-api-key') key: unknown,
  ): { stream: string; paused: boolean } {
    this.known(stream);
    this.transport.control.resume(stream);
    auditAdminAction(key, 'resume', { stream });
    return { stream, paused: false };
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
