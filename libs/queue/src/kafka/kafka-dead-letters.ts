import { HEADERS } from '@lib/contracts';
import { replayHeaders, topologyNames } from '@lib/retry';
import type { Admin, Kafka } from 'kafkajs';
import { DeadLetterAdmin, type DeadLetter } from '../dead-letters';
import { byLastFailure, toDeadLetter } from '../runtime/dead-letter-view';
import type { RawMessage } from '../runtime/envelope';
import {
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  matchesQuery,
  type DeadLetterPage,
  type DeadLetterQuery,
} from '../dead-letter-page';
import {
  firstAtOrAfter,
  KafkaDeadLetterIndex,
  MARKER_HEADER,
  markerValue,
} from './kafka-dead-letter-index';
import { readTopic } from './kafka-log-reader';
import type { KafkaPublisher } from './kafka-publisher';

interface Entry {
  readonly id: string;
  readonly message: RawMessage;
}

/**
 * Dead letters of one group in Kafka's `S.G.dlt` topics; ids are `<partition>:<offset>`.
 *
 * How replayed and purged letters disappear, with all state kept in Kafka (so every instance of
 * the app sees the same, and nothing is lost on a restart):
 * - purge and "replay all" delete the records with DeleteRecords up to the end seen when reading;
 *   letters that arrive meanwhile stay.
 * - replaying some ids appends a marker record to each affected partition naming the replayed
 *   offsets (listings skip them), then deletes the partition's records up to its first letter
 *   that is still wanted, so markers and replayed letters do not pile up.
 * A replay republishes first and marks afterwards: a crash in between replays a letter twice at
 * worst, and consumers remove duplicates by `eventId`.
 */
export class KafkaDeadLetters extends DeadLetterAdmin {
  private admin?: Promise<Admin>;
  private readonly indexes = new Map<string, KafkaDeadLetterIndex>();

  constructor(
    private readonly kafka: Kafka,
    private readonly publisher: KafkaPublisher,
    private readonly group: string,
  ) {
    super();
  }

  async list(stream: string, limit: number): Promise<DeadLetter[]> {
    const letters = await this.index(stream).current(await this.connectedAdmin());
    return [...letters.entries()]
      .flatMap(([partition, list]) =>
        list.map(({ offset, message }) => toDeadLetter(`${partition}:${offset}`, stream, message)),
      )
      .sort(byLastFailure)
      .slice(0, limit);
  }

  /**
   * A page in log order: the partitions' letters merged by record time from the cursor's next
   * offset per partition (`{ "<partition>": "<offset>" }`, base64url JSON).
   */
  override async page(stream: string, query: DeadLetterQuery): Promise<DeadLetterPage> {
    const from = query.cursor === undefined ? {} : decodeCursor(query.cursor);
    const letters = await this.index(stream).current(await this.connectedAdmin());
    const heads = [...letters].map(([partition, list]) => {
      let start = 0;
      const offset = from[String(partition)];
      if (offset !== undefined) {
        if (!/^\d+$/.test(String(offset))) throw new InvalidCursorError();
        start = firstAtOrAfter(list, BigInt(offset));
      }
      return { partition, list, at: start };
    });
    const items: DeadLetter[] = [];
    while (items.length < query.limit) {
      let best: (typeof heads)[number] | undefined;
      for (const head of heads) {
        if (head.at >= head.list.length) continue;
        if (!best || timeOf(head) < timeOf(best)) best = head;
      }
      if (!best) break;
      const { offset, message } = best.list[best.at++];
      const headers = message.headers;
      const failedAt = Date.parse(headers[HEADERS.lastFailedAt] ?? '');
      const at = Number.isNaN(failedAt) ? message.timestamp : failedAt;
      if (matchesQuery(query, headers[HEADERS.errorClass] ?? 'Error', at))
        items.push(toDeadLetter(`${best.partition}:${offset}`, stream, message));
    }
    const more = heads.some((h) => h.at < h.list.length);
    const cursor: Record<string, string> = {};
    for (const h of heads)
      cursor[h.partition] =
        h.at < h.list.length
          ? h.list[h.at].offset.toString()
          : (h.list.at(-1)?.offset ?? -1n) + 1n + '';
    return { items, nextCursor: more ? encodeCursor(cursor) : null };
  }

  override async get(stream: string, id: string): Promise<DeadLetter | undefined> {
    const match = /^(\d+):(\d+)$/.exec(id);
    if (!match) return undefined;
    const letters = await this.index(stream).current(await this.connectedAdmin());
    const list = letters.get(Number(match[1])) ?? [];
    const found = list[firstAtOrAfter(list, BigInt(match[2]))];
    return found && found.offset === BigInt(match[2])
      ? toDeadLetter(id, stream, found.message)
      : undefined;
  }

  async replay(stream: string, ids?: readonly string[]): Promise<number> {
    const topic = this.topic(stream);
    const { entries, highWatermarks } = await this.read(stream);
    const wanted = ids ? new Set(ids) : undefined;
    const chosen = wanted ? entries.filter((e) => wanted.has(e.id)) : entries;
    if (chosen.length === 0) return 0;
    await this.publisher.send(
      topologyNames.kafka.topic(stream),
      chosen.map(({ message }) => ({
        key: message.key,
        value: message.value,
        headers: replayHeaders(message.headers),
      })),
    );
    const replayed = new Set(chosen.map((e) => e.id));
    const byPartition = new Map<number, Entry[]>();
    for (const entry of chosen) {
      const list = byPartition.get(entry.message.position.partition) ?? [];
      list.push(entry);
      byPartition.set(entry.message.position.partition, list);
    }
    for (const [partition, list] of byPartition) {
      const remaining = entries.find(
        (e) => e.message.position.partition === partition && !replayed.has(e.id),
      );
      if (remaining) {
        const value = markerValue(list.map((e) => e.message.position.offset));
        await this.publisher.send(topic, [
          { key: null, value, headers: { [MARKER_HEADER]: 'true' }, partition },
        ]);
      }
      const upTo = remaining ? remaining.message.position.offset : highWatermarks.get(partition)!;
      await this.deleteUpTo(topic, partition, upTo);
    }
    return chosen.length;
  }

  async purge(stream: string): Promise<number> {
    const topic = this.topic(stream);
    const { entries, highWatermarks } = await this.read(stream);
    for (const [partition, high] of highWatermarks) await this.deleteUpTo(topic, partition, high);
    return entries.length;
  }

  async depth(stream: string): Promise<number> {
    const admin = await this.connectedAdmin();
    const partitions = await admin.fetchTopicOffsets(this.topic(stream));
    return partitions.reduce((sum, p) => sum + Math.max(0, Number(p.high) - Number(p.low)), 0);
  }

  /** Stops the listing readers and disconnects the admin client; idempotent. */
  async close(): Promise<void> {
    const indexes = [...this.indexes.values()];
    this.indexes.clear();
    await Promise.all(indexes.map((index) => index.close()));
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect().catch(() => undefined);
  }

  /** One admin client, connected on first use (a failed connect is tried again next time). */
  private connectedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    this.admin.catch(() => (this.admin = undefined));
    return this.admin;
  }

  /** The stream's listing reader, started on first use and kept until close. */
  private index(stream: string): KafkaDeadLetterIndex {
    let index = this.indexes.get(stream);
    if (!index)
      this.indexes.set(stream, (index = new KafkaDeadLetterIndex(this.kafka, this.topic(stream))));
    return index;
  }

  private topic(stream: string): string {
    return topologyNames.kafka.deadLetterTopic(stream, this.group);
  }

  /** The letters still listed (markers and the letters they name left out) and the snapshot's ends. */
  private async read(
    stream: string,
  ): Promise<{ entries: Entry[]; highWatermarks: Map<number, string> }> {
    const admin = await this.connectedAdmin();
    const topic = this.topic(stream);
    // Loads the topic's metadata into the admin client, which DeleteRecords needs.
    await admin.fetchTopicMetadata({ topics: [topic] });
    const { messages, highWatermarks } = await readTopic(this.kafka, admin, topic);
    const replayed = new Set<string>();
    for (const m of messages) {
      if (m.headers[MARKER_HEADER] === undefined || m.value === null) continue;
      const { offsets } = JSON.parse(m.value.toString()) as { offsets: string[] };
      for (const offset of offsets) replayed.add(`${m.position.partition}:${offset}`);
    }
    const entries: Entry[] = [];
    for (const message of messages) {
      const id = `${message.position.partition}:${message.position.offset}`;
      if (message.headers[MARKER_HEADER] === undefined && !replayed.has(id))
        entries.push({ id, message });
    }
    return { entries, highWatermarks };
  }

  private async deleteUpTo(topic: string, partition: number, offset: string): Promise<void> {
    const admin = await this.connectedAdmin();
    await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset }] });
  }
}

/** A partition head's merge key: its next letter's record time (offset order within a partition). */
function timeOf(head: {
  list: readonly { message: RawMessage }[];
  at: number;
  partition: number;
}): number {
  return (head.list[head.at].message.timestamp ?? 0) + head.partition / 1e6;
}
