import { AssignerProtocol, type Admin, type Kafka } from 'kafkajs';
import type { OffsetStore } from '../offset-store';
import { partitionMove, type OffsetResetTarget, type PartitionOffsetMove } from '../offset-reset';
import { BrokerConnectionError } from '../queue.errors';

/** A partition of the topic that another member of the group is assigned. */
export interface PartitionHeldElsewhere {
  readonly partition: number;
  /** The member's client id and host, as Kafka reports them. */
  readonly member: string;
}

/** Where each partition of a topic would move, and which of them other members hold. */
export interface KafkaOffsetPlan {
  readonly partitions: PartitionOffsetMove[];
  readonly heldElsewhere: PartitionHeldElsewhere[];
}

/**
 * Works out an offset reset of one topic for one group from what Kafka reports (the log's ends,
 * the first offset at a time, the group's members and their assignments) and the group's current
 * offsets (database-stored where a store holds one, else Kafka-committed). Changes nothing.
 */
export async function planKafkaOffsetReset(options: {
  readonly kafka: Kafka;
  readonly group: string;
  readonly topic: string;
  readonly to: OffsetResetTarget;
  readonly store?: OffsetStore;
  /** This consumer's member id in the group, if it joined: its own partitions do not count as held elsewhere. */
  readonly memberId?: string;
}): Promise<KafkaOffsetPlan> {
  const { kafka, group, topic, to, store } = options;
  const admin = kafka.admin();
  try {
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    const atTime =
      to.kind === 'timestamp' ? await admin.fetchTopicOffsetsByTimestamp(topic, to.at) : [];
    const committed = await committedOffsets(admin, group, topic);
    const stored = new Map(
      (store ? await store.load(group, topic) : []).map((o) => [o.partition, o.nextOffset]),
    );
    const partitions = ends
      .map(({ partition, low, high }) => {
        const target =
          to.kind === 'earliest'
            ? low
            : to.kind === 'latest'
              ? high
              : (atTime.find((o) => o.partition === partition)?.offset ?? high);
        // Where the group reads next: the stored offset, else Kafka's, else the log's start
        // (the transport subscribes from the beginning).
        const current = stored.get(partition) ?? committed.get(partition) ?? low;
        return partitionMove(partition, current, target, low, high);
      })
      .sort((a, b) => a.partition - b.partition);
    const heldElsewhere = await partitionsHeldElsewhere(admin, group, topic, options.memberId);
    return { partitions, heldElsewhere };
  } catch (error) {
    throw new BrokerConnectionError(
      `could not read the offsets of ${topic} for ${group}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The group's committed next offsets of the topic (Kafka reports none as -1). */
async function committedOffsets(
  admin: Admin,
  group: string,
  topic: string,
): Promise<Map<number, string>> {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map(
    (committed?.partitions ?? [])
      .filter((p) => Number(p.offset) >= 0)
      .map((p) => [p.partition, p.offset]),
  );
}

/** Partitions of `topic` assigned to members of `group` other than `memberId`. */
async function partitionsHeldElsewhere(
  admin: Admin,
  group: string,
  topic: string,
  memberId: string | undefined,
): Promise<PartitionHeldElsewhere[]> {
  const { groups } = await admin.describeGroups([group]);
  const held: PartitionHeldElsewhere[] = [];
  for (const member of groups[0]?.members ?? []) {
    if (member.memberId === memberId || member.memberAssignment.length === 0) continue;
    const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    for (const partition of assignment?.assignment[topic] ?? [])
      held.push({ partition, member: `${member.clientId}@${member.clientHost}` });
  }
  return held.sort((a, b) => a.partition - b.partition);
}
