/**
 * The ceiling for `npm run bench -- ingest`: a bare Node `http` server that does ingest's work
 * and nothing else. It reads the body (1 MiB cap), JSON.parses it, validates and stamps it with
 * ingest's own `intakeMessages` (the same schema check, eventId unless given, receivedAt,
 * occurredAt defaulting to receipt; 400 on a bad body) and publishes through the same
 * EventPublisher as the app (QueueModule's KafkaPublisher: acks=-1, idempotent producer) behind a
 * CoalescingPublisher, so concurrent requests share broker round trips. No framework on the
 * request path, no spool, no logs: what remains between the two is the app's own cost.
 *
 * Run as a child process: `node -r ./scripts/register-paths.js dist/bench/support/ingest-baseline-server.js`
 * with PORT and KAFKA_BROKERS; it answers `GET /health/live` once the producer is connected.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformModule } from '@lib/platform';
import { CoalescingPublisher, EventPublisher, QueueModule } from '@lib/queue';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { intakeMessages } from '../../apps/ingest/src/intake/intake-messages';

const BODY_LIMIT = 1024 * 1024;

/**
 * The broker's EventPublisher exactly as apps get it (QueueModule with BROKER=kafka builds the
 * KafkaPublisher, which @lib/queue does not export on its own), in a Nest application context
 * without HTTP, so that nothing else of Nest is on the request path.
 */
async function kafkaPublisher(
  brokers: string,
): Promise<{ publisher: EventPublisher; close(): Promise<void> }> {
  @Module({})
  class BaselineModule {}
  const env = { BROKER: 'kafka', KAFKA_BROKERS: brokers, LOG_LEVEL: 'warn', LOG_SHIP: 'false' };
  const context = await NestFactory.createApplicationContext(
    {
      module: BaselineModule,
      imports: [PlatformModule.forRoot('ingest-baseline', env), QueueModule.forRoot({})],
    },
    { logger: ['warn', 'error'] },
  );
  return {
    publisher: context.get(EventPublisher, { strict: false }),
    close: () => context.close(),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const kafka = await kafkaPublisher(process.env.KAFKA_BROKERS ?? '');
  const inner = kafka.publisher;
  // QueueModule's EventPublisher coalesces already (as the app's does); wrap only if it does not.
  const publisher = inner instanceof CoalescingPublisher ? inner : new CoalescingPublisher(inner);

  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health/live')
      return reply(res, inner.isConnected() ? 200 : 503, {});
    if (req.method !== 'POST' || req.url !== '/v1/page-views')
      return reply(res, 404, { message: 'not found' });
    readBody(req)
      .then(async (text) => {
        if (text === undefined) return reply(res, 413, { message: 'too large' });
        const built = intakeMessages('page-views', JSON.parse(text) as unknown);
        if (!built.ok) return reply(res, 400, { message: 'bad input', details: built.problems });
        await publisher.publish(built.messages);
        reply(res, 202, { accepted: built.messages.length, eventIds: built.eventIds });
      })
      .catch((error: Error) => reply(res, 500, { message: error.message }));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  // A clean exit on SIGTERM, so that --cpu-prof writes its profile.
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void kafka.close().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error('ingest baseline server failed:', error);
  process.exit(1);
});
