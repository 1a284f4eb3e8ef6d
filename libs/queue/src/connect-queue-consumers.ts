import type { INestApplication } from '@nestjs/common';
import type { NestMicroservice } from '@nestjs/microservices';
import { QUEUE_TRANSPORT } from './queue.constants';
import { PassThroughRpcFilter } from './runtime/handler-invoker';
import type { QueueServer } from './runtime/queue-server';

/**
 * Wires the app's `@EventPattern` handlers to the configured broker and starts consuming: it
 * initialises the app (so the handlers' dependencies are ready before the first event), connects
 * the QueueModule's transport as a Nest microservice and starts it. Rejects when the broker cannot
 * be reached. Use it as `createHttpApp({ beforeListen: connectQueueConsumers })`.
 *
 * The microservice gets its own config with {@link PassThroughRpcFilter} as its only global
 * filter, instead of inheriting the HTTP app's: the HTTP error filter cannot handle RPC errors,
 * and Nest's default RPC filter would replace the handler's error (which the retry policy reads).
 */
export async function connectQueueConsumers(app: INestApplication): Promise<void> {
  await app.init();
  const transport = app.get<QueueServer>(QUEUE_TRANSPORT);
  const microservice = app.connectMicroservice(
    { strategy: transport },
    { inheritAppConfig: false, deferInitialization: true },
  ) as unknown as NestMicroservice;
  microservice.useGlobalFilters(new PassThroughRpcFilter());
  // The app already ran its init hooks; deferred initialisation would run them a second time.
  microservice.setIsInitHookCalled(true);
  await app.startAllMicroservices();
}
