/**
 * With tracing on, a line's `traceId` is the trace it belongs to: an HTTP request's server span
 * (also when the client sent no `traceparent`), and inside a log context the active span's (a
 * batch's process span, a span the code started), else the context's own header value.
 */
import 'reflect-metadata';
import { Controller, Get, Logger, Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import {
  JsonLogger,
  runInLogContext,
  startTracingForTests,
  tracer,
  type TracingHandle,
} from '@lib/observability';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'node:stream';
import { createHttpApp, type HttpApp } from './create-http-app';
import { PlatformModule } from './platform.module';

const API_KEY = 'log-context-tracing-key';
const HEADER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

@Controller()
class TracedController {
  @Get('v1/traced')
  read() {
    new Logger('Feature').log('traced read');
    return { ok: true };
  }
}

@Module({})
class TracedModule {
  static register(env: Env): DynamicModule {
    return {
      module: TracedModule,
      imports: [PlatformModule.forRoot('traced-app', env)],
      controllers: [TracedController],
    };
  }
}

describe('log context with tracing on', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: TracingHandle;
  let lines: Array<Record<string, unknown>>;

  beforeAll(async () => {
    tracing = await startTracingForTests(exporter);
  });

  afterAll(() => tracing.release());

  beforeEach(() => {
    lines = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk)
        .split('\n')
        .filter((l) => l.startsWith('{')))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    Logger.overrideLogger(false);
  });

  it("gives a request's lines its server span's trace id, with or without a traceparent", async () => {
    const created: HttpApp = await createHttpApp({
      name: 'traced-app',
      defaultPort: 3996,
      env: { LOG_LEVEL: 'info', LOG_FORMAT: 'json', SHUTDOWN_GRACE_MS: '0', API_KEYS: API_KEY },
      module: (env) => TracedModule.register(env),
    });
    await created.app.init();
    try {
      const fastify = created.app.getHttpAdapter().getInstance();
      for (const traceparent of [undefined, `00-${HEADER_TRACE}-00f067aa0ba902b7-01`]) {
        const response = await fastify.inject({
          method: 'GET',
          url: '/v1/traced',
          headers: { 'x-api-key': API_KEY, ...(traceparent ? { traceparent } : {}) },
        });
        expect(response.statusCode).toBe(200);
      }
      await tracing.flush();
      const spans = exporter.getFinishedSpans().filter((s) => s.name === 'GET /v1/traced');
      const read = lines.filter((l) => l.context === 'Feature');
      expect(spans).toHaveLength(2);
      expect(read.map((l) => l.traceId)).toEqual(spans.map((s) => s.spanContext().traceId));
      expect(read[1].traceId).toBe(HEADER_TRACE);
      expect(read[0].traceId).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await created.app.close();
    }
  });

  it("prefers the active span's trace id inside a log context, else the context's", () => {
    const out: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    Logger.overrideLogger(new JsonLogger({ level: 'info', apps: new Set(['x']), destination }));
    let spanTrace = '';
    runInLogContext({ fields: () => ({ eventId: 'e1', traceId: HEADER_TRACE }) }, () => {
      new Logger('Feature').log('no span');
      tracer().startActiveSpan('batch process', (span) => {
        spanTrace = span.spanContext().traceId;
        new Logger('Feature').log('in span');
        span.end();
      });
    });
    new Logger('Feature').log('outside');
    expect(out.map((l) => [l.msg, l.eventId, l.traceId])).toEqual([
      ['no span', 'e1', HEADER_TRACE],
      ['in span', 'e1', spanTrace],
      ['outside', undefined, undefined],
    ]);
    expect(spanTrace).not.toBe(HEADER_TRACE);
  });
});
