import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { BadInputException } from '@lib/platform';
import { z } from 'zod';
import { isoTime, parseAdminInput as parse } from './admin-input';
import { AdminAudit } from './admin-audit';
import { InvalidCursorError, type DeadLetterPage } from './dead-letter-page';
import { DeadLetterAdmin, type DeadLetter } from './dead-letters';
import { QUEUE_TRANSPORT } from './queue.constants';
import type { QueueServer } from './runtime/queue-server';

const MAX_LIMIT = 1_000;

const listQuery = z.strictObject({
  stream: z.string({ message: 'required' }).min(1, { message: 'required' }),
  limit: z.coerce
    .number({ message: `expected an integer between 1 and ${MAX_LIMIT}` })
    .int({ message: `expected an integer between 1 and ${MAX_LIMIT}` })
    .min(1, { message: `expected an integer between 1 and ${MAX_LIMIT}` })
    .max(MAX_LIMIT, { message: `expected an integer between 1 and ${MAX_LIMIT}` })
    .default(100),
  cursor: z.string().min(1, { message: 'expected a nextCursor' }).max(4_096).optional(),
  errorClass: z.string().min(1).max(200).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
});
const streamQuery = z.strictObject({
  stream: z.string({ message: 'required' }).min(1, { message: 'required' }),
});
const replayBody = z.strictObject(
  {
    stream: z.string({ message: 'required' }).min(1, { message: 'required' }),
    ids: z
      .array(z.string({ message: 'expected a string' }).min(1).max(100), {
        message: 'expected an array of ids',
      })
      .min(1, { message: 'expected 1 to 1000 ids (omit ids to replay all)' })
      .max(MAX_LIMIT, { message: 'expected 1 to 1000 ids (omit ids to replay all)' })
      .optional(),
  },
  { message: 'expected a JSON object' },
);

/**
 * `/admin/dead-letters` of docs/contract.md for the streams this app consumes: pages of letters
 * (filtered by error class and time), one letter, replay (republish to the stream with attempts
 * reset) and purge.
 */
@Controller('admin/dead-letters')
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLetterAdmin,
    @Inject(QUEUE_TRANSPORT) private readonly transport: QueueServer,
    private readonly audit: AdminAudit,
  ) {}

  @Get()
  async list(@Query() query: unknown): Promise<DeadLetterPage> {
    const { stream, ...page } = this.streamOf(parse(listQuery, query));
    try {
      return await this.deadLetters.page(stream, page);
    } catch (error) {
      if (error instanceof InvalidCursorError)
        throw new BadInputException([{ field: 'cursor', problem: error.message }]);
      throw error;
    }
  }

  @Get(':id')
  async one(@Param('id') id: string, @Query() query: unknown): Promise<DeadLetter> {
    const { stream } = this.streamOf(parse(streamQuery, query));
    const letter = await this.deadLetters.get(stream, id);
    if (!letter) throw new NotFoundException(`no dead letter ${id} in ${stream}`);
    return letter;
  }

  @Post('replay')
  @HttpCode(200)
  async replay(
    @Body() body: unknown,
    @Headers('x-api-key') key: unknown,
  ): Promise<{ replayed: number }> {
    const { stream, ids } = this.streamOf(parse(replayBody, body ?? undefined));
    const replayed = await this.deadLetters.replay(stream, ids);
    this.audit.record(key, 'replay', { stream, ids: ids?.length ?? 'all', replayed });
    return { replayed };
  }

  @Delete()
  async purge(
    @Query() query: unknown,
    @Headers('x-api-key') key: unknown,
  ): Promise<{ purged: number }> {
    const { stream } = this.streamOf(parse(streamQuery, query));
    const purged = await this.deadLetters.purge(stream);
    this.audit.record(key, 'purge', { stream, purged });
    return { purged };
  }

  /** Dead letters exist per consumed stream (`S.G.dlt`): other streams are a client error. */
  private streamOf<T extends { stream: string }>(input: T): T {
    const known = this.transport.streams();
    if (!known.includes(input.stream)) {
      const problem =
        known.length > 0
          ? `unknown stream; this app consumes ${known.join(', ')}`
          : 'unknown stream; this app consumes none';
      throw new BadInputException([{ field: 'stream', problem }]);
    }
    return input;
  }
}
