import {
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpException,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  type OnModuleDestroy,
} from '@nestjs/common';
import { errorBody } from '@lib/platform';
import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { ConsoleAccess } from './console-access';
import { ConsoleAppsClient } from './console-apps.client';
import { loadConsoleAssets } from './console-assets';
import { CONSOLE_PUSH_INTERVAL_MS } from './console.constants';
import { ConsoleSessions } from './console-sessions';

/**
 * The console page and its live feed: `GET /console` (HTML, script and stylesheet, no CDN),
 * `POST /console/session` (admin key in, short-lived token out) and `GET /console/events?token=`
 * (Server-Sent Events: every app's `/admin/status` every 2 s).
 */
@Controller('console')
export class ConsolePageController implements OnModuleDestroy {
  private readonly assets = loadConsoleAssets();
  private readonly streams = new Set<ServerResponse>();

  constructor(
    private readonly access: ConsoleAccess,
    private readonly sessions: ConsoleSessions,
    private readonly apps: ConsoleAppsClient,
  ) {}

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'console.html');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): void {
    if (file === 'console.html' || !this.assets.has(file))
      throw new NotFoundException(`no console asset ${file.slice(0, 100)}`);
    this.send(reply, file);
  }

  @Post('session')
  @HttpCode(201)
  session(@Headers('x-api-key') key: unknown): { token: string; expiresAt: string } {
    const refused = this.access.refusal(key);
    if (refused) throw new HttpException(refused, refused.statusCode);
    const { token, expiresAt } = this.sessions.open(typeof key === 'string' ? key : undefined);
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  @Get('events')
  events(@Query('token') token: unknown, @Res() reply: FastifyReply): void {
    const session = this.sessions.find(token);
    if (!session) {
      const body = errorBody(401, 'missing or expired token: POST /console/session first');
      void reply.status(401).send(body);
      return;
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.streams.add(raw);
    let busy = false;
    const push = async () => {
      if (busy) return;
      if (Date.now() >= session.expiresAt) return close();
      busy = true;
      try {
        const apps = await this.apps.statuses(session.key);
        if (!raw.writableEnded)
          raw.write(
            `event: status\ndata: ${JSON.stringify({ at: new Date().toISOString(), apps })}\n\n`,
          );
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void push(), CONSOLE_PUSH_INTERVAL_MS);
    const close = () => {
      clearInterval(timer);
      this.streams.delete(raw);
      if (!raw.writableEnded) raw.end();
    };
    raw.on('close', close);
    raw.write('retry: 2000\n\n');
    void push();
  }

  /** Open streams never go idle: they are ended here so that the server's close is not held up. */
  onModuleDestroy(): void {
    for (const raw of this.streams) raw.end();
    this.streams.clear();
  }

  private send(reply: FastifyReply, file: string): void {
    const asset = this.assets.get(file)!;
    void reply
      .header('content-type', asset.contentType)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);
  }
}
