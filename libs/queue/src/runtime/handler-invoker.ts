import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { BaseRpcContext } from '@nestjs/microservices/ctx-host/base-rpc.context';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { EventMetadata, EventMetadataReader, IncomingEvent } from '../incoming-event';

/** The reader of a context made without delivered events (tests, hand-made invocations). */
const NO_EVENTS: EventMetadataReader = {
  metadataOf(event) {
    throw new Error(`metadataOf: event ${event?.eventId} was not delivered with this context`);
  },
};

/**
 * The context a queue handler may take with `@Ctx()`: the stream, the transport ('memory',
 * 'kafka', 'rabbitmq') and the message metadata of the event(s) it was given. One per invocation
 * (per record, or per batch in batch mode).
 *
 * ```ts
 * @EventPattern('orders')
 * handle(@Payload() event: IncomingEvent<Order>, @Ctx() context: QueueContext) {
 *   const { key, headers, attempt, timestamp } = context.metadataOf(event);
 * }
 * ```
 */
export class QueueContext
  extends BaseRpcContext<[stream: string, transport: string]>
  implements EventMetadataReader
{
  constructor(
    stream: string,
    transport: string,
    private readonly events: EventMetadataReader = NO_EVENTS,
  ) {
    super([stream, transport]);
  }

  /**
   * The message metadata of an event of this invocation (key, headers, attempt, source, position,
   * timestamp), decoded on the first call. The event is found by its `position`: pass the event
   * as delivered or a copy of it (`{ ...event, payload }`, `structuredClone`).
   *
   * @throws Error when `event` was not delivered with this context
   */
  metadataOf(event: IncomingEvent<unknown>): EventMetadata {
    return this.events.metadataOf(event);
  }

  /** The stream the event(s) came from. */
  getStream(): string {
    return this.args[0];
  }

  /** The broker the event(s) came from. */
  getTransport(): string {
    return this.args[1];
  }
}

/**
 * Rethrows every handler error unchanged. Nest's default RPC filter would log each failure as
 * "Unknown exception" and replace the error by `{ status, message }`, losing the class that the
 * retry policy decides on; the transports handle and log failures themselves.
 */
@Catch()
export class PassThroughRpcFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/** What Nest's default RPC filter turns an unknown error into, when the pass-through filter is absent. */
function isNestErrorObject(value: unknown): value is { status: string; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    'status' in value &&
    'message' in value
  );
}

/** An error that is not an `Error` instance, wrapped so that failure headers have a class and a message. */
export class HandlerError extends Error {
  constructor(readonly original: unknown) {
    super(typeof original === 'string' ? original : (JSON.stringify(original) ?? String(original)));
    this.name = 'HandlerError';
  }
}

function normaliseError(error: unknown): unknown {
  if (error instanceof Error) return error;
  if (isNestErrorObject(error)) return new HandlerError(error.message);
  return new HandlerError(error);
}

/**
 * Calls a Nest message handler (as registered by `@EventPattern`) and settles with its result:
 * a Promise is awaited, an Observable runs to completion (its last value, `undefined` if none).
 * Rejects with the handler's original error (see {@link PassThroughRpcFilter}).
 */
export async function invokeHandler(
  handler: MessageHandler,
  data: IncomingEvent | IncomingEvent[],
  context: QueueContext,
): Promise<unknown> {
  try {
    const result: unknown = await handler(data, context);
    return isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result;
  } catch (error) {
    throw normaliseError(error);
  }
}
