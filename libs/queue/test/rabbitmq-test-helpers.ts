import * as amqp from 'amqplib';
import type { Channel, ChannelModel, Message } from 'amqplib';
import type { LoggerService } from '@nestjs/common';
import { DEFAULT_RETRY_POLICY, topologyNames } from '@lib/retry';
import { testServices, waitFor } from '@test/support';
import type { IncomingEvent } from '../src/incoming-event';
import type { QueueContext } from '../src/runtime/handler-invoker';
import type { HandlerOptions } from '../src/queue.decorators';
import { RmqQueueServer } from '../src/rabbitmq/server-rmq';

const names = topologyNames.rabbitmq;

/** A raw AMQP connection for a test's own checks and clean-up (never through the code under test). */
export class RabbitProbe {
  private constructor(
    readonly model: ChannelModel,
    private readonly url: string,
  ) {}

  static async open(): Promise<RabbitProbe> {
    const url = testServices().rabbitmqUrl;
    const model = await amqp.connect(url);
    model.on('error', () => undefined);
    return new RabbitProbe(model, url);
  }

  /** Host and port of the broker, for a TcpProxy in front of it. */
  get target(): { host: string; port: number } {
    const u = new URL(this.url);
    return { host: u.hostname, port: Number(u.port || 5672) };
  }

  /** The broker URL with host and port replaced (to go through a proxy). */
  urlVia(port: number): string {
    const u = new URL(this.url);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    return u.toString();
  }

  /** Runs `use` on a fresh channel; a channel-closing error (404, 406) rejects without harming the probe. */
  async withChannel<T>(use: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    try {
      return await use(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Ready messages in `queue`, or undefined when it does not exist. */
  async count(queue: string): Promise<number | undefined> {
    return this.withChannel((c) => c.checkQueue(queue).then((q) => q.messageCount)).catch(
      () => undefined,
    );
  }

  /** Takes (acks) up to `n` messages from `queue`, waiting up to `timeoutMs` for them. */
  async take(queue: string, n: number, timeoutMs = 10_000): Promise<Message[]> {
    return this.withChannel(async (channel) => {
      const got: Message[] = [];
      await waitFor(
        async () => {
          const message = await channel.get(queue, { noAck: true });
          if (message) got.push(message);
          return got.length >= n;
        },
        { timeoutMs, intervalMs: 20, description: `${n} message(s) in ${queue}` },
      );
      return got;
    });
  }

  /** Sends raw bytes straight to a queue through the default exchange. */
  async sendToQueue(queue: string, content: Buffer, options?: amqp.Options.Publish): Promise<void> {
    const channel = await this.model.createConfirmChannel();
    try {
      channel.sendToQueue(queue, content, { persistent: true, ...options });
      await channel.waitForConfirms();
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /**
   * Deletes what group `group` declared for `stream` (retry queues of the given delays and of the
   * default policy), and the stream's exchange (unique per test).
   */
  async deleteTopology(
    group: string,
    stream: string,
    delaysMs: readonly number[] = [],
  ): Promise<void> {
    const delays = new Set([...delaysMs, ...DEFAULT_RETRY_POLICY.delaysMs]);
    const queues = [
      names.queue(group, stream),
      names.failedQueue(group, stream),
      ...[...delays].map((d) => names.retryQueue(group, stream, d)),
    ];
    for (const queue of queues)
      await this.withChannel((c) => c.deleteQueue(queue)).catch(() => undefined);
    await this.withChannel((c) => c.deleteExchange(names.exchange(stream))).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}

/** Queues and exchanges declared in this test file, for deleting them afterwards. */
export interface DeclarationRecord {
  readonly queues: Set<string>;
  readonly exchanges: Set<string>;
  /** Deletes every recorded queue and exchange (the default exchange and `amq.*` excepted). */
  deleteAll(model: ChannelModel): Promise<void>;
}

/**
 * Records every queue and exchange declared through amqplib in this test file, including by the
 * code under test, so that a test whose names are chosen elsewhere (the contract suite) can
 * remove exactly what it created, and nothing else. jest gives each test file its own modules,
 * so the patch stays within the file.
 */
export function recordDeclarations(): DeclarationRecord {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Channel } = require('amqplib/lib/channel_model') as {
    Channel: {
      prototype: {
        assertQueue: (...a: unknown[]) => unknown;
        assertExchange: (...a: unknown[]) => unknown;
      };
    };
  };
  const queues = new Set<string>();
  const exchanges = new Set<string>();
  const { assertQueue, assertExchange } = Channel.prototype;
  Channel.prototype.assertQueue = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] === 'string' && args[0] !== '') queues.add(args[0]);
    return assertQueue.apply(this, args);
  };
  Channel.prototype.assertExchange = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] === 'string' && args[0] !== '' && !args[0].startsWith('amq.'))
      exchanges.add(args[0]);
    return assertExchange.apply(this, args);
  };
  return {
    queues,
    exchanges,
    async deleteAll(model) {
      for (const queue of queues) await deleteWith(model, (c) => c.deleteQueue(queue));
      for (const exchange of exchanges) await deleteWith(model, (c) => c.deleteExchange(exchange));
    },
  };
}

async function deleteWith(
  model: ChannelModel,
  remove: (channel: Channel) => Promise<unknown>,
): Promise<void> {
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  await remove(channel).catch(() => undefined);
  await channel.close().catch(() => undefined);
}

/** A handler as the transport's tests register it: gets each event (or batch), may throw or resolve late. */
export type TestHandler = (data: IncomingEvent | IncomingEvent[], context: QueueContext) => unknown;

/**
 * Starts a RmqQueueServer the way Nest would (handlers registered, then `listen`), without a Nest app:
 * the transport's own behaviour is under test here, the wiring in the contract suite.
 */
export async function startServer(
  url: string,
  group: string,
  handlers: Record<string, { handle: TestHandler; options?: HandlerOptions }>,
  maxInFlight = 50,
): Promise<RmqQueueServer> {
  const server = new RmqQueueServer({
    url,
    group,
    maxInFlight,
    logger: quietLogger,
    reconnectMinMs: 50,
    reconnectMaxMs: 500,
  });
  for (const [stream, { handle, options }] of Object.entries(handlers)) {
    server.addHandler(
      stream,
      async (data: IncomingEvent | IncomingEvent[], context: QueueContext) => handle(data, context),
      true,
      {
        queue: options ?? {},
      },
    );
  }
  await new Promise<void>((resolve, reject) =>
    server.listen((error?: unknown) => (error ? reject(error) : resolve())),
  );
  return server;
}

/** Keeps expected warnings (retries, reconnects) out of the test output. */
export const quietLogger: LoggerService = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A promise and its resolver, to hold a handler open. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
