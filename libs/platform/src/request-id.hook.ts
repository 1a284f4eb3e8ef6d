import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { errorBody } from './http-error';
import { installLogContextHook } from './log-context.hook';

const MAX_REQUEST_ID = 100;

/** The request id: the client's `x-request-id` when valid, otherwise a new UUID. */
export function requestIdFrom(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && isValidRequestId(given) ? given : randomUUID();
}

function isValidRequestId(value: string): boolean {
  return (
    value.length >= 1 && value.length <= MAX_REQUEST_ID && !/[\u0000-\u001f\u007f]/.test(value)
  );
}

/**
 * Rejects a malformed `x-request-id` with 400, echoes the id on every response and runs the
 * request inside a log context carrying the id.
 */
export function installRequestIdHook(fastify: FastifyInstance): void {
  installLogContextHook(fastify);
  // A callback hook, not an async one: it runs on every request and allocates no promise.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    const given = request.headers['x-request-id'];
    if (given !== undefined && (typeof given !== 'string' || !isValidRequestId(given))) {
      void reply.status(400).send(
        errorBody(400, 'x-request-id: must be 1-100 characters without control characters', [
          {
            field: 'x-request-id',
            problem: 'must be 1-100 characters without control characters',
          },
        ]),
      );
      return; // answered: Fastify stops here, done() must not run
    }
    done();
  });
}
