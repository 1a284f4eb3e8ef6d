/**
 * Page views for the pv-counter benchmark, as ingest publishes them to `page-views`: Zipf-skewed
 * pages (s = 1, so a few pages are hot and most are seen a few times a day), uniformly drawn
 * visitors, one UTC day, and time-ordered UUIDs (version 7) as event ids, as ingest stamps them.
 */
import type { Message } from 'kafkajs';
import { v7 as timeOrderedUuid } from 'uuid';

/** One planned page view (the `page-views` payload minus the stamps). */
export interface BenchPageView {
  readonly eventId: string;
  readonly pageId: string;
  readonly visitorId: string;
}

/** `count` views over `pages` pages with Zipf(s = 1) by inverse CDF, visitors uniform over `visitors`. */
export function zipfPageViews(count: number, pages: number, visitors: number): BenchPageView[] {
  const cdf = new Float64Array(pages);
  let acc = 0;
  for (let k = 0; k < pages; k++) cdf[k] = acc += 1 / (k + 1);
  const views: BenchPageView[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const u = Math.random() * acc;
    let lo = 0;
    let hi = pages - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    views[i] = {
      eventId: timeOrderedUuid(), // as ingest stamps them
      pageId: `/story/${lo}`,
      visitorId: `v${Math.floor(Math.random() * visitors)}`,
    };
  }
  return views;
}

/** The Kafka record ingest would publish for `view` on `day` (key = pageId, docs/contract.md headers). */
export function pageViewMessage(view: BenchPageView, day: string): Message {
  const at = `${day}T12:00:00.000Z`;
  return {
    key: view.pageId,
    value: JSON.stringify({ ...view, occurredAt: at, receivedAt: at }),
    headers: { 'x-event-id': view.eventId, 'x-event-type': 'page-views' },
  };
}
