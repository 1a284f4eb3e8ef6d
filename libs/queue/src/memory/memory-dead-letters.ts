import { replayHeaders, topologyNames } from '@lib/retry';
import { DeadLetterAdmin, type DeadLetter } from '../dead-letters';
import { byLastFailure, toDeadLetter } from '../runtime/dead-letter-view';
import type { RawMessage } from '../runtime/envelope';
import type { MemoryBroker } from './memory-broker';

/** Dead letters of one group in the memory broker's `S.G.dlt` topics; replayed and purged ones are removed. */
export class MemoryDeadLetters extends DeadLetterAdmin {
  constructor(
    private readonly broker: MemoryBroker,
    private readonly group: string,
  ) {
    super();
  }

  async list(stream: string, limit: number): Promise<DeadLetter[]> {
    return this.entries(stream)
      .map(({ id, message }) => toDeadLetter(id, stream, message))
      .sort(byLastFailure)
      .slice(0, limit);
  }

  async replay(stream: string, ids?: readonly string[]): Promise<number> {
    const wanted = ids ? new Set(ids) : undefined;
    let replayed = 0;
    for (const { id, message } of this.entries(stream)) {
      if (wanted && !wanted.has(id)) continue;
      this.broker.append(
        topologyNames.kafka.topic(stream),
        message.key,
        message.value,
        replayHeaders(message.headers),
      );
      this.remove(message);
      replayed++;
    }
    return replayed;
  }

  async purge(stream: string): Promise<number> {
    const entries = this.entries(stream);
    for (const { message } of entries) this.remove(message);
    return entries.length;
  }

  async depth(stream: string): Promise<number> {
    return this.entries(stream).length;
  }

  private entries(stream: string): Array<{ id: string; message: RawMessage }> {
    const entries: Array<{ id: string; message: RawMessage }> = [];
    for (const partition of this.broker.partitions(
      topologyNames.kafka.deadLetterTopic(stream, this.group),
    )) {
      for (let offset = partition.startOffset; offset < partition.endOffset; offset++) {
        const message = partition.get(offset);
        if (message) entries.push({ id: `${partition.index}:${offset}`, message });
      }
    }
    return entries;
  }

  private remove(message: RawMessage): void {
    const { topic, partition, offset } = message.position;
    this.broker.partitions(topic)[partition].remove(Number(offset));
  }
}
