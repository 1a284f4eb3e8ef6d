import { Kafka, logLevel } from 'kafkajs';
import { uniqueName, waitFor } from '@test/support';

/** What was read back: how often each wanted eventId arrived, and which never did. */
export interface ReadBack {
  readonly counts: Map<string, number>;
  readonly missing: string[];
  /** Wanted records whose payload eventId differs from their x-event-id header. */
  readonly mismatched: number;
}

/**
 * Reads `topic` from the beginning with a fresh consumer group until every `wanted` eventId has
 * arrived or `timeoutMs` passed, and reports what arrived. Other eventIds are ignored.
 */
export async function readEventIdsFromKafka(
  brokers: string,
  topic: string,
  wanted: readonly string[],
  timeoutMs = 30_000,
): Promise<ReadBack> {
  const kafka = new Kafka({
    clientId: 'ingest-test-reader',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: uniqueName('ingest-test-reader'),
    maxWaitTimeInMs: 100,
  });
  const want = new Set(wanted);
  const counts = new Map<string, number>();
  let mismatched = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const payload = JSON.parse(message.value?.toString() ?? '{}') as { eventId?: string };
          const eventId = payload.eventId ?? '';
          if (!want.has(eventId)) continue;
          if (String(message.headers?.['x-event-id'] ?? '') !== eventId) mismatched++;
          counts.set(eventId, (counts.get(eventId) ?? 0) + 1);
        }
      },
    });
    await waitFor(() => counts.size === want.size, {
      timeoutMs,
      intervalMs: 200,
      description: `${want.size} events on ${topic}`,
    }).catch(
      () => undefined, // reported through `missing`
    );
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return { counts, missing: wanted.filter((id) => !counts.has(id)), mismatched };
}
