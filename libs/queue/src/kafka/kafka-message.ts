import type { MessageHeaders } from '@lib/contracts';
import type { KafkaMessage } from 'kafkajs';
import type { EventPosition } from '../incoming-event';
import { decodeHeaders, type RawMessage } from '../runtime/envelope';

/**
 * A fetched kafkajs record as the shared runtime takes it, decoding its key and headers to strings
 * when first read: when the record's event is built, as its batch runs.
 *
 * Why not at fetch time: a fetch holds tens of thousands of records that wait in the partition's
 * buffer until their batch runs. Strings and objects made at fetch time live through the garbage
 * collections of that wait and are copied by each one; made when the batch runs, they die young
 * with the event (see docs/benchmarks.md). The headers are decoded once and frozen: the event
 * carries them, and a failure reads them again for the retry's headers.
 */
class KafkaRawMessage implements RawMessage {
  private decodedKey?: string | null;
  private decodedHeaders?: Readonly<MessageHeaders>;

  constructor(
    private readonly topic: string,
    private readonly partition: number,
    private readonly message: KafkaMessage,
  ) {}

  get value(): Buffer | null {
    return this.message.value;
  }

  get key(): string | null {
    if (this.decodedKey === undefined)
      this.decodedKey = this.message.key === null ? null : this.message.key.toString();
    return this.decodedKey;
  }

  get headers(): Readonly<MessageHeaders> {
    return (this.decodedHeaders ??= decodeHeaders(this.message.headers));
  }

  /** Made on each read, not kept: a kept one would be copied by every collection until the record is done. */
  get position(): EventPosition {
    return { topic: this.topic, partition: this.partition, offset: this.message.offset };
  }

  get timestamp(): number {
    return Number(this.message.timestamp);
  }
}

/** A fetched kafkajs record as the shared runtime takes it (key and headers as strings, decoded on first read). */
export function rawMessageOf(topic: string, partition: number, message: KafkaMessage): RawMessage {
  return new KafkaRawMessage(topic, partition, message);
}
