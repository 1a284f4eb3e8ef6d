import { EventPublisher } from '../event-publisher';
import type { OutgoingMessage } from '../outgoing-message';
import { PublishError } from '../queue.errors';
import { encodeMessage } from '../runtime/envelope';
import type { MemoryBroker } from './memory-broker';

/** Publishes to the in-process broker; `publish` resolves once every message is in its partition. */
export class MemoryPublisher extends EventPublisher {
  private closed = false;

  constructor(private readonly broker: MemoryBroker) {
    super();
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new PublishError('memory publisher is closed');
    // Encode everything first, so that one bad value publishes nothing of the batch.
    let encoded;
    try {
      encoded = messages.map(encodeMessage);
    } catch (error) {
      throw new PublishError(`could not serialise a message: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      for (const message of encoded)
        this.broker.append(message.stream, message.key, message.value, message.headers);
    } catch (error) {
      throw new PublishError(`memory publish failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  isConnected(): boolean {
    return !this.closed && !this.broker.isClosed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
