import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { errorLogInput, type LogRecorder } from '@lib/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, type ErrorBody } from './http-error';

/**
 * Turns every error into the contract's error body; unexpected (5xx) errors become error log
 * records (class, message, stack, request id) and are never leaked to the client.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly recorder: LogRecorder) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (exception instanceof HttpException && isHealthCheckResult(exception.getResponse())) {
      // `/health/ready` answers 503 in the terminus format (docs/contract.md), not as an error body.
      void reply.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    const body = toErrorBody(exception);
    if (body.statusCode >= 500)
      this.recorder.record(errorLogInput(exception, body.statusCode, request));
    void reply.status(body.statusCode).send(body);
  }
}

/** The contract body for an error thrown by a handler, Nest or Fastify. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null) {
      const { message, details } = response as {
        message?: unknown;
        details?: ErrorBody['details'];
      };
      const text = Array.isArray(message)
        ? message.join('; ')
        : String(message ?? exception.message);
      return errorBody(status, text, Array.isArray(details) ? details : undefined);
    }
    return errorBody(status, String(response));
  }
  // Fastify's own errors (body too large, bad JSON, wrong content type) carry a 4xx statusCode.
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return errorBody(statusCode, (exception as Error).message);
  }
  return errorBody(500, 'Internal server error');
}

/** A terminus health check result (`{ status, info, error, details }`), thrown by `@HealthCheck()` routes as 503. */
function isHealthCheckResult(response: unknown): boolean {
  if (typeof response !== 'object' || response === null) return false;
  const { status, details } = response as { status?: unknown; details?: unknown };
  return (
    typeof status === 'string' &&
    typeof details === 'object' &&
    details !== null &&
    !Array.isArray(details)
  );
}
