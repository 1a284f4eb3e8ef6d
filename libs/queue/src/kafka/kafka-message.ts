import type { KafkaMessage } from 'kafkajs';
import { decodeHeaders, type RawMessage } from '../runtime/envelope';

/** A fetched kafkajs record as the shared runtime takes it (key and headers as strings). */
export function rawMessageOf(topic: string, partition: number, message: KafkaMessage): RawMessage {
  return {
    value: message.value,
    key: message.key === null ? null : message.key.toString(),
    headers: decodeHeaders(message.headers),
    position: { topic, partition, offset: message.offset },
  };
}
