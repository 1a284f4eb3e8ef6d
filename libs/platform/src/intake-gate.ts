import type { FastifyInstance } from 'fastify';
import { ShutdownPhase, type ShutdownCoordinator } from '@lib/lifecycle';
import { errorBody } from './http-error';

const INTAKE = /^\/(v1|admin)(\/|\?|$)/;

/**
 * Stops HTTP intake in the shutdown's stop-intake phase: `/v1` and `/admin` answer 503 and close
 * the connection, while `/health` and `/metrics` keep answering until the server closes.
 */
export function installIntakeGate(
  fastify: FastifyInstance,
  coordinator: ShutdownCoordinator,
): void {
  let accepting = true;
  coordinator.register({
    name: 'http intake',
    phase: ShutdownPhase.StopIntake,
    run: () => {
      accepting = false;
    },
  });
  // A callback hook, not an async one: it runs on every request and allocates no promise.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (accepting || !INTAKE.test(request.url)) return done();
    void reply.header('connection', 'close');
    void reply.status(503).send(errorBody(503, 'shutting down'));
  });
}
