import type { MessageHeaders } from '@lib/contracts';
import type { HttpApp } from '@lib/platform';
import type { MemoryBroker } from '@lib/queue';
import { createIngestApp } from '../../src/ingest.app';
import { freeTcpPort } from '@test/support';

/** A record as the in-memory broker holds it, with the value parsed. */
export interface PublishedRecord {
  readonly key: string | null;
  readonly headers: MessageHeaders;
  readonly value: Record<string, unknown>;
}

/**
 * Every record of `stream` in `broker`, in partition then offset order. Nothing consumes in
 * these tests, so nothing is trimmed: this is everything ingest published.
 */
export function publishedRecords(broker: MemoryBroker, stream: string): PublishedRecord[] {
  const records: PublishedRecord[] = [];
  for (const partition of broker.partitions(stream)) {
    for (let offset = partition.startOffset; offset < partition.endOffset; offset++) {
      const raw = partition.get(offset);
      if (!raw) continue;
      records.push({
        key: raw.key,
        headers: raw.headers,
        value: raw.value ? (JSON.parse(raw.value.toString()) as Record<string, unknown>) : {},
      });
    }
  }
  return records;
}

/** Starts ingest in this process on a free port, on `broker` (BROKER=memory) and `dataDir`. */
export async function startMemoryIngest(
  dataDir: string,
  broker: MemoryBroker,
  extra: Record<string, string> = {},
): Promise<{ created: HttpApp; url: string }> {
  const created = await createIngestApp(
    {
      BROKER: 'memory',
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      SHUTDOWN_GRACE_MS: '0',
      ...extra,
    },
    { memoryBroker: broker },
  );
  return { created, url: await created.listen() };
}
