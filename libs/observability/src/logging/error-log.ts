import type { FastifyRequest } from 'fastify';
import { MAX_STACK_CHARS, truncate, type LogRecordInput } from './log-record';
import { UNMATCHED_ROUTE } from './request-log.hook';

/**
 * The error record of an exception that failed a request with `status` (5xx): class, message and
 * stack, with the request id, method and route pattern of the request it failed.
 */
export function errorLogInput(
  exception: unknown,
  status: number,
  request?: FastifyRequest,
): LogRecordInput {
  const error = exception instanceof Error ? exception : undefined;
  const errorClass = error ? error.constructor?.name || error.name : typeof exception;
  const message = error ? error.message : describe(exception);
  const attributes: Record<string, unknown> = { class: errorClass, status };
  if (error?.stack) attributes.stack = truncate(error.stack, MAX_STACK_CHARS);
  if (request) {
    attributes.method = request.method;
    attributes.route = request.routeOptions?.url ?? UNMATCHED_ROUTE;
  }
  return {
    kind: 'error',
    level: 'error',
    message: message || errorClass,
    requestId: request?.id,
    attributes,
  };
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
