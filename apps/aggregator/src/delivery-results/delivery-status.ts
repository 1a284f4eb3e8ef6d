import type { DeliveryResultEvent } from '@lib/contracts';

/** A delivery status (docs/contract.md). */
export type DeliveryStatus = DeliveryResultEvent['status'];

/**
 * Place of each status in a message's lifecycle. It breaks ties of equal `occurredAt` (clients
 * often stamp whole seconds): `sent` at the same instant as `accepted` comes after it, whatever
 * order the two were received in. The final states share a rank; receipt order decides among them.
 */
export const LIFECYCLE_RANK: Readonly<Record<DeliveryStatus, number>> = {
  accepted: 0,
  sent: 1,
  delivered: 2,
  failed: 2,
  expired: 2,
};

/** The SQL expression of {@link LIFECYCLE_RANK} for a `status` column. */
export function lifecycleRankSql(column: string): string {
  const cases = Object.entries(LIFECYCLE_RANK)
    .map(([status, rank]) => `WHEN '${status}' THEN ${rank}`)
    .join(' ');
  return `CASE ${column} ${cases} ELSE 3 END`;
}
