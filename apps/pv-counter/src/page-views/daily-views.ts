import { utcDay } from '@lib/contracts';
import type { IncomingEvent } from '@lib/queue';
import { visitorUpdate, type DailyPageViews } from '../storage';
import type { PageViewPayload } from './page-view-payload';

/**
 * The work-queue key: day and page (a page id may contain `|`, the day never does), from the
 * event's {@link dailyValueOf} when the work queue has it.
 */
export function dailyKeyOf(
  event: IncomingEvent<PageViewPayload>,
  value: Pick<DailyPageViews, 'day' | 'pageId'> = dailyValueOf(event),
): string {
  return `${value.day}|${value.pageId}`;
}

/** One event's contribution: one view, and its visitor when it names one. */
export function dailyValueOf(event: IncomingEvent<PageViewPayload>): DailyPageViews {
  const { pageId, visitorId, occurredAt } = event.payload;
  const day = utcDay(occurredAt);
  return visitorId === undefined
    ? { day, pageId, views: 1 }
    : { day, pageId, views: 1, visitors: visitorUpdate(visitorId) };
}
