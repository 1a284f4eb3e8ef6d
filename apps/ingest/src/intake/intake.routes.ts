import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IngestStream } from '@lib/contracts';
import { requestTraceContext, requestTraceHeaders } from '@lib/observability';
import { context } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EventIntakeService, type IntakeReceipt } from './event-intake.service';

/** The five intake routes of docs/contract.md and the stream each feeds. */
export const INTAKE_ROUTES: ReadonlyArray<{
  readonly path: string;
  readonly stream: IngestStream;
}> = [
  { path: '/v1/page-views', stream: 'page-views' },
  { path: '/v1/orders', stream: 'orders' },
  { path: '/v1/ticks', stream: 'ticks' },
  { path: '/v1/logs', stream: 'app-logs' },
  { path: '/v1/delivery-results', stream: 'delivery-results' },
];

/** The 202 body, serialised by Fastify's compiled serializer instead of JSON.stringify. */
const RECEIPT_SCHEMA = {
  type: 'object',
  properties: {
    accepted: { type: 'integer' },
    eventIds: { type: 'array', items: { type: 'string' } },
  },
  required: ['accepted', 'eventIds'],
} as const;

/**
 * Serves the intake routes as plain Fastify routes of the Nest app, each taking one event or an
 * array of 1–1000 and answering 202 with {@link IntakeReceipt}.
 *
 * Why not a Nest controller: these are the hottest routes of the system, and Nest's per-request
 * router context (execution context, param resolution, the response wrapper) cost about a fifth
 * of the CPU of a single-event request while doing nothing for them. Everything else stays
 * the platform's: the Fastify hooks (request id, API key, intake gate, request log) run for
 * every route of the instance, and a thrown error reaches the error handler Nest installs, i.e.
 * the global HttpExceptionFilter and its contract error body.
 */
@Injectable()
export class IntakeRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly intake: EventIntakeService,
  ) {}

  /** Registers the routes; Nest calls it in `init()`, before Fastify is ready. */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    for (const { path, stream } of INTAKE_ROUTES) {
      fastify.route({
        method: 'POST',
        url: path,
        schema: { response: { 202: RECEIPT_SCHEMA } },
        handler: (request: FastifyRequest, reply: FastifyReply): Promise<IntakeReceipt> => {
          void reply.code(202);
          const span = requestTraceContext(request);
          const origin = requestTraceHeaders(request.id, request.headers, span);
          // With tracing on, the publish span below is the request span's child.
          if (span === undefined) return this.intake.accept(stream, request.body, origin);
          return context.with(span, () => this.intake.accept(stream, request.body, origin));
        },
      });
    }
  }
}
