export { PageViewsModule, PV_COUNTER_FLUSH_INTERVAL_MS } from './page-views.module';
export { PageViewsConsumer } from './page-views.consumer';
export { DailyViewsQueue, DAILY_VIEWS_QUEUE } from './daily-views.queue';
export { pageViewPayload, type PageViewPayload } from './page-view-payload';
