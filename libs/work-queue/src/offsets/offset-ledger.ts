import { Injectable } from '@nestjs/common';
import type { StoredOffset } from '@lib/queue';
import { WorkQueueConfigError } from '../work-queue.errors';

/** The stored offset a flush expects to find, and the assignment it belongs to. */
export interface OffsetExpectation {
  /** `null`: no row is expected (the partition never stored an offset for this group). */
  readonly offset: string | null;
  readonly generation: number;
}

interface TopicState {
  generation: number;
  readonly offsets: Map<number, string>;
}

const keyOf = (group: string, topic: string) => `${group}\u0000${topic}`;

/**
 * What this process believes each partition's stored offset is: the value loaded when the
 * transport was assigned the partition (through the OffsetStore), advanced by each of our own
 * commits. A flush writes offsets only where the database still holds this value (fencing).
 * Every load starts a new generation, so a flush begun under an older assignment never advances
 * the expectation of a newer one.
 */
@Injectable()
export class OffsetLedger {
  private readonly topics = new Map<string, TopicState>();
  private readonly owners = new Map<string, string>();
  private readonly listeners = new Set<(group: string, topic: string) => void>();
  private nextGeneration = 1;

  /** Records freshly loaded offsets of `topic` (the transport was just assigned its partitions). */
  reset(group: string, topic: string, stored: readonly StoredOffset[]): void {
    const offsets = new Map(stored.map((row) => [row.partition, row.nextOffset] as const));
    this.topics.set(keyOf(group, topic), { generation: this.nextGeneration++, offsets });
    for (const listener of this.listeners) listener(group, topic);
  }

  /** Calls `listener` after every reset; returns the unsubscribe function. */
  onReset(listener: (group: string, topic: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The expectation for one partition. A topic never loaded (no transport seeking from stored
   * offsets, e.g. the memory broker) expects no row at first, generation 0: the first writer
   * claims the partition and every later writer without a load is fenced.
   */
  expectation(group: string, topic: string, partition: number): OffsetExpectation {
    const state = this.topics.get(keyOf(group, topic));
    return { offset: state?.offsets.get(partition) ?? null, generation: state?.generation ?? 0 };
  }

  /** After our commit: the partition now holds `nextOffset`, unless a newer load superseded it. */
  advance(
    group: string,
    topic: string,
    partition: number,
    generation: number,
    nextOffset: string,
  ): void {
    const key = keyOf(group, topic);
    let state = this.topics.get(key);
    if (state === undefined && generation === 0) {
      state = { generation: 0, offsets: new Map() };
      this.topics.set(key, state);
    }
    if (state?.generation === generation) state.offsets.set(partition, nextOffset);
  }

  /**
   * Registers `queue` as the one writer of `topic`'s offsets for `group`. Two queues storing
   * offsets of one topic would fence each other; write both tables from one queue's writer.
   */
  claim(group: string, topic: string, queue: string): void {
    const key = keyOf(group, topic);
    const owner = this.owners.get(key);
    if (owner === undefined) this.owners.set(key, queue);
    else if (owner !== queue) {
      throw new WorkQueueConfigError(
        `work queues ${owner} and ${queue} both store offsets of ${topic} for ${group}; ` +
          'use one offset-tracking queue per stream (its writer may write several tables)',
      );
    }
  }

  /** Forgets the ownership of `queue` (when it closes). */
  release(queue: string): void {
    for (const [key, owner] of this.owners) if (owner === queue) this.owners.delete(key);
  }
}
