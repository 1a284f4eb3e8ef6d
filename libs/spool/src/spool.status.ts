import type { SpoolingPublisherStats } from './spooling-publisher';

/** A spool as `GET /admin/status` shows it: depth, bytes, the oldest event's age and the breaker. */
export function spoolStatus(stats: SpoolingPublisherStats): Record<string, unknown> {
  const { name: _name, oldestAt, ...rest } = stats;
  return {
    ...rest,
    oldestEventAgeSeconds: oldestAt === undefined ? 0 : Math.max(0, Date.now() - oldestAt) / 1000,
  };
}
