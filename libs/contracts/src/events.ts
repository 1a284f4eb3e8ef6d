import { z } from 'zod';
import {
  eventIdRule,
  finiteNumber,
  identifier,
  integerAtLeast,
  isoDateTime,
  text,
} from './field-rules';

/** Fields every ingest body may carry. */
const common = {
  eventId: eventIdRule().optional(),
  occurredAt: isoDateTime().optional(),
};

/** `POST /v1/page-views` body (one event). */
export const pageViewInput = z.strictObject({
  pageId: identifier(200),
  visitorId: identifier(200).optional(),
  ...common,
});

/** `POST /v1/orders` body (one event). */
export const orderInput = z.strictObject({
  orderId: identifier(100),
  storeId: identifier(100),
  productId: identifier(100),
  quantity: integerAtLeast(1),
  amount: finiteNumber().min(0, { message: 'must be >= 0' }),
  ...common,
});

/** `POST /v1/ticks` body (one event). */
export const tickInput = z.strictObject({
  symbol: z.string({ message: 'must be a string' }).regex(/^[A-Z0-9.]{1,16}$/, {
    message: 'must be 1-16 characters of A-Z, 0-9 and "."',
  }),
  price: finiteNumber().gt(0, { message: 'must be > 0' }),
  volume: integerAtLeast(0),
  ...common,
});

/** `POST /v1/logs` body (one record). */
export const logInput = z.strictObject({
  service: identifier(100),
  kind: z.enum(['request', 'error', 'query'], { message: 'must be one of request, error, query' }),
  level: z.enum(['debug', 'info', 'warn', 'error', 'fatal'], {
    message: 'must be one of debug, info, warn, error, fatal',
  }),
  message: text(1, 65_536),
  requestId: identifier(100).optional(),
  durationMs: finiteNumber().min(0, { message: 'must be >= 0' }).optional(),
  attributes: z.record(z.string(), z.unknown(), { message: 'must be an object' }).optional(),
  ...common,
});

/** `POST /v1/delivery-results` body (one result). */
export const deliveryResultInput = z.strictObject({
  messageId: identifier(100),
  requestId: identifier(100).optional(),
  channel: identifier(50),
  status: z.enum(['accepted', 'sent', 'delivered', 'failed', 'expired'], {
    message: 'must be one of accepted, sent, delivered, failed, expired',
  }),
  detail: text(0, 2_000).optional(),
  ...common,
});

/** What ingest adds to every accepted body before publishing it. */
export interface Stamped {
  eventId: string;
  occurredAt: string;
  receivedAt: string;
}

export type PageViewEvent = z.infer<typeof pageViewInput> & Stamped;
export type OrderEvent = z.infer<typeof orderInput> & Stamped;
export type TickEvent = z.infer<typeof tickInput> & Stamped;
export type LogEvent = z.infer<typeof logInput> & Stamped;
export type DeliveryResultEvent = z.infer<typeof deliveryResultInput> & Stamped;

/** The input schema of each stream that ingest accepts. */
export const EVENT_INPUTS = {
  'page-views': pageViewInput,
  orders: orderInput,
  ticks: tickInput,
  'app-logs': logInput,
  'delivery-results': deliveryResultInput,
} as const;

/** A stream that ingest accepts events for. */
export type IngestStream = keyof typeof EVENT_INPUTS;
