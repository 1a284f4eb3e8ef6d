import type { MessageHeaders } from '@lib/contracts';
import type { KafkaMessage } from 'kafkajs';
import type { EventPosition } from '../incoming-event';
import { decodeHeaders, type RawMessage } from '../runtime/envelope';

/**
 * A fetched kafkajs record as the shared runtime takes it, decoding its key and headers to strings
 * only when first read.
 *
 * Why lazily: a fetch holds tens of thousands of records that wait in the partition's buffer until
 * their batch runs. Strings and objects made at fetch time live through the garbage collections of
 * that wait and are copied by each one; made when the batch runs, they die young with the parsed
 * event. That difference was a fifth of the transport's CPU per record (consumer-kafka bench).
 */
class KafkaRawMessage implements RawMessage {
  private decodedKey?: string | null;
  private decodedHeaders?: MessageHeaders;

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

  get headers(): MessageHeaders {
    return (this.decodedHeaders ??= decodeHeaders(this.message.headers));
  }

  /** Made on each read, not kept: it is read once per record, and a kept one would be copied by every collection until the record is done. */
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
