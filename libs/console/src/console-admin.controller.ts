import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpException,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { BadInputException, errorBody } from '@lib/platform';
import type { FastifyReply } from 'fastify';
import { ConsoleAccess } from './console-access';
import { ConsoleAppsClient } from './console-apps.client';

const LIST_PARAMS = ['stream', 'limit', 'cursor', 'errorClass', 'from', 'to'] as const;
const STREAM = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * The console's actions, passed on to one watched app's `/admin/*` with the operator's key:
 * dead letters (page, one, replay, purge), pause/resume of a stream and its offset reset. The app validates the rest
 * and its answer (status and body) is returned as is; 400 for an unknown app, 502 when it is down.
 */
@Controller('console/api/apps/:app')
export class ConsoleAdminController {
  constructor(
    private readonly access: ConsoleAccess,
    private readonly apps: ConsoleAppsClient,
  ) {}

  @Get('dead-letters')
  list(
    @Param('app') app: string,
    @Query() query: Record<string, unknown>,
    @Headers('x-api-key') key: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const params = new URLSearchParams();
    for (const name of LIST_PARAMS) {
      const value = query[name];
      if (typeof value === 'string' && value !== '') params.set(name, value);
    }
    return this.pass(reply, app, key, 'GET', `/admin/dead-letters?${params}`);
  }

  @Get('dead-letters/:id')
  one(
    @Param('app') app: string,
    @Param('id') id: string,
    @Query('stream') stream: unknown,
    @Headers('x-api-key') key: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const path = `/admin/dead-letters/${encodeURIComponent(id)}?${new URLSearchParams({ stream: streamOf(stream) })}`;
    return this.pass(reply, app, key, 'GET', path);
  }

  @Post('dead-letters/replay')
  replay(
    @Param('app') app: string,
    @Body() body: unknown,
    @Headers('x-api-key') key: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.pass(reply, app, key, 'POST', '/admin/dead-letters/replay', body ?? {});
  }

  @Delete('dead-letters')
  purge(
    @Param('app') app: string,
    @Query('stream') stream: unknown,
    @Headers('x-api-key') key: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const path = `/admin/dead-letters?${new URLSearchParams({ stream: streamOf(stream) })}`;
    return this.pass(reply, app, key, 'DELETE', path);
  }

  @Post('streams/:stream/:action')
  control(
    @Param('app') app: string,
    @Param('stream') stream: string,
    @Param('action') action: string,
    @Body() body: unknown,
    @Headers('x-api-key') key: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (action !== 'pause' && action !== 'resume' && action !== 'offsets')
      throw new BadInputException([
        { field: 'action', problem: 'expected pause, resume or offsets' },
      ]);
    const path = `/admin/streams/${encodeURIComponent(streamOf(stream))}/${action}`;
    return this.pass(
      reply,
      app,
      key,
      'POST',
      path,
      action === 'offsets' ? (body ?? {}) : undefined,
    );
  }

  private async pass(
    reply: FastifyReply,
    name: string,
    key: unknown,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<void> {
    const refused = this.access.refusal(key);
    if (refused) throw new HttpException(refused, refused.statusCode);
    const app = this.apps.app(name);
    if (!app) {
      const known = this.apps.apps().map((a) => a.name);
      throw new BadInputException([
        { field: 'app', problem: `unknown app; the console watches ${known.join(', ')}` },
      ]);
    }
    let answer;
    try {
      answer = await this.apps.forward(
        app,
        method,
        path,
        typeof key === 'string' ? key : undefined,
        body,
      );
    } catch {
      const down = errorBody(502, `${app.name} did not answer at ${app.url}`);
      throw new HttpException(down, 502);
    }
    await reply.status(answer.code).send(answer.body);
  }
}

function streamOf(value: unknown): string {
  if (typeof value !== 'string' || !STREAM.test(value))
    throw new BadInputException([
      { field: 'stream', problem: 'required: letters, digits, dot, dash or underscore (1-200)' },
    ]);
  return value;
}
