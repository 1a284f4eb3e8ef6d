import { Injectable } from '@nestjs/common';
import type { OffsetStore } from './offset-store';
import { QueueError } from './queue.errors';

/**
 * Where the module that stores offsets beside its data (WorkQueueModule) registers its
 * {@link OffsetStore}; the Kafka transport asks it when it is assigned partitions. The global
 * QueueModule cannot see providers of the modules that import it, so the store is handed over
 * explicitly rather than looked up across modules.
 */
@Injectable()
export class OffsetStoreRegistry {
  private bound?: OffsetStore;

  /** Binds the app's one OffsetStore; registering the same store again is harmless. */
  register(store: OffsetStore): void {
    // Two stores would mean two offset ledgers, and a flush fenced by the one the transport never reset.
    if (this.bound !== undefined && this.bound !== store)
      throw new QueueError(
        'an app has one OffsetStore: share one WorkQueueModule object between its modules',
        false,
      );
    this.bound = store;
  }

  /** The registered store; undefined when none is (Kafka's committed offsets alone decide where to start). */
  get store(): OffsetStore | undefined {
    return this.bound;
  }
}
