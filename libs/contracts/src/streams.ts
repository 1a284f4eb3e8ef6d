/** The streams of docs/contract.md and the payload field that is each one's partition key. */
export const STREAMS = {
  'page-views': { key: 'pageId' },
  orders: { key: 'storeId' },
  ticks: { key: 'symbol' },
  'app-logs': { key: 'service' },
  'delivery-results': { key: 'messageId' },
  'popular-products': { key: 'storeId' },
} as const;

/** A stream name from docs/contract.md. */
export type StreamName = keyof typeof STREAMS;
