import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { StatusRegistry } from '@lib/lifecycle';
import { topologyNames } from '@lib/retry';
import { DeadLetterDepths } from './dead-letter-depths';
import { OffsetStoreRegistry } from './offset-store.registry';
import { CONSUMER_GROUP, QUEUE_DRIVER } from './queue.constants';
import type { QueueDriver } from './queue-driver';

/** How long a stored-offsets read may take before the status shows it as unknown. */
const STORED_OFFSETS_TIMEOUT_MS = 2_000;

/**
 * The `broker` and `streams` sections of `GET /admin/status`: per consumed stream whether it is
 * paused, records in flight, lag, each assigned partition (fetched, committed and stored offsets,
 * in-flight, pause reasons), the retry tiers' backlog and the dead letters. Partitions whose
 * offsets the database stores but this instance is not assigned are listed with `assigned: false`.
 */
@Injectable()
export class QueueStatus implements OnModuleInit {
  private readonly depths: DeadLetterDepths;

  constructor(
    @Inject(QUEUE_DRIVER) private readonly driver: QueueDriver,
    @Inject(CONSUMER_GROUP) private readonly group: string,
    private readonly offsetStores: OffsetStoreRegistry,
    private readonly registry: StatusRegistry,
  ) {
    this.depths = new DeadLetterDepths(driver.deadLetters, 5_000, 1_000);
  }

  onModuleInit(): void {
    this.registry.register('broker', () => ({
      name: this.driver.transport.broker,
      group: this.group,
      consuming: this.driver.transport.control.isHealthy(),
    }));
    this.registry.register('streams', () => this.streams());
  }

  private async streams(): Promise<unknown[]> {
    const statuses = this.driver.transport.control.status();
    const deadLetters = await this.depths.current(statuses.map((s) => s.stream));
    return Promise.all(
      statuses.map(async (status) => {
        const stored = await this.storedOffsets(status.stream);
        const assigned = new Set((status.partitions ?? []).map((p) => p.partition));
        const partitions = [
          ...(status.partitions ?? []).map((p) => ({
            ...p,
            assigned: true,
            stored: stored?.get(p.partition),
          })),
          ...[...(stored ?? new Map<number, string>())]
            .filter(([partition]) => !assigned.has(partition))
            .map(([partition, offset]) => ({ partition, assigned: false, stored: offset })),
        ].sort((a, b) => a.partition - b.partition);
        return {
          ...status,
          partitions,
          offsetsStoredIn: this.offsetStores.store ? 'database' : 'broker',
          deadLetters: deadLetters.get(status.stream) ?? null,
        };
      }),
    );
  }

  /** The database-stored next offsets of the stream's main topic; undefined without a store. */
  private async storedOffsets(stream: string): Promise<Map<number, string> | undefined> {
    const store = this.offsetStores.store;
    if (!store) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const rows = await Promise.race([
        store.load(this.group, topologyNames.kafka.topic(stream)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), STORED_OFFSETS_TIMEOUT_MS);
        }),
      ]);
      return new Map(rows.map((r) => [r.partition, r.nextOffset]));
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
