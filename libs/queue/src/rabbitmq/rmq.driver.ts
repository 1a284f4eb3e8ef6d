import type { QueueDriver, QueueDriverFactory } from '../queue-driver';
import { RmqDeadLetterAdmin } from './rmq-dead-letters';
import { RmqEventPublisher } from './rmq-publisher';
import { RmqQueueServer } from './server-rmq';

/**
 * `BROKER=rabbitmq`: two connections per app, as RabbitMQ advises (flow control throttles a
 * publishing connection, which must not slow consuming): the publisher's, with a confirm channel,
 * and the transport's, shared with the dead-letter admin.
 */
export const createRabbitMqDriver: QueueDriverFactory = (context): QueueDriver => {
  const url = context.config.RABBITMQ_URL;
  const { tls } = context.rabbitmq;
  const publisher = new RmqEventPublisher({
    url,
    appName: context.group,
    logger: context.logger,
    tls,
    access: context.access,
  });
  publisher.start(); // in the background, so readiness reflects the broker before the first publish
  const transport = new RmqQueueServer({
    url,
    group: context.group,
    maxInFlight: context.maxInFlight,
    logger: context.logger,
    metrics: context.metrics,
    tls,
    access: context.access,
  });
  const deadLetters = new RmqDeadLetterAdmin(transport.connection, context.group);
  return {
    transport,
    publisher,
    deadLetters,
    async close() {
      await transport.close();
      await publisher.close();
    },
  };
};
