/**
 * Known delivery-result streams for the aggregator's e2e specs: status sequences per message,
 * published in a shuffled order, and what the read routes must answer for them.
 */
import { randomInt } from 'node:crypto';

/** One `POST /v1/delivery-results` body, with the client's eventId. */
export interface PlannedResult {
  readonly eventId: string;
  readonly messageId: string;
  readonly requestId?: string;
  readonly channel: string;
  readonly status: 'accepted' | 'sent' | 'delivered' | 'failed' | 'expired';
  readonly detail?: string;
  readonly occurredAt: string;
}

/** What `GET /v1/delivery-results/:messageId` must answer. */
export interface ExpectedDelivery {
  readonly messageId: string;
  readonly requestId: string | null;
  readonly channel: string;
  readonly status: PlannedResult['status'];
  readonly history: Array<{
    status: PlannedResult['status'];
    detail: string | null;
    occurredAt: string;
  }>;
}

/** A plan: the events in publish order, the expected deliveries, and each request's message ids in route order. */
export interface DeliveryPlan {
  readonly events: PlannedResult[];
  readonly expected: Map<string, ExpectedDelivery>;
  readonly requests: Map<string, string[]>;
}

const CHANNELS = ['sms', 'email', 'push'];
const SEQUENCES: ReadonlyArray<ReadonlyArray<PlannedResult['status']>> = [
  ['accepted', 'sent', 'delivered'],
  ['accepted', 'sent', 'failed'],
  ['accepted', 'sent'],
  ['accepted', 'expired'],
  ['accepted', 'sent', 'delivered'], // accepted and sent at the same instant: lifecycle order decides
];

/** `at` as ISO-8601 with a +02:00 offset (the routes answer in UTC). */
function withOffset(at: number): string {
  const shifted = new Date(at + 2 * 3_600_000).toISOString();
  return `${shifted.slice(0, -1)}+02:00`;
}

/** Code-point order, as the routes sort message ids. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `messages` messages under `prefix`, 2–3 status changes each, one second apart (some with equal
 * times), in a shuffled publish order so receipt order differs from occurrence order. Requests
 * group four messages each; every sixth message has no request id; the request id rides on the
 * `accepted` change and only sometimes on later ones.
 */
export function planDeliveries(prefix: string, messages: number): DeliveryPlan {
  const base = Date.UTC(2031 + randomInt(20), randomInt(12), 1 + randomInt(28), 8);
  const events: PlannedResult[] = [];
  const expected = new Map<string, ExpectedDelivery>();
  const requests = new Map<string, string[]>();
  for (let i = 0; i < messages; i++) {
    // One id needs percent-encoding in the path, '/' included.
    const messageId = i === 7 ? `${prefix}/é msg-${i}` : `${prefix}-msg-${i}`;
    const requestId = i % 6 === 5 ? undefined : `${prefix}-req-${Math.floor(i / 4)}`;
    const channel = CHANNELS[i % CHANNELS.length];
    const sequence = SEQUENCES[i % SEQUENCES.length];
    const start = base + i * 60_000;
    const history: ExpectedDelivery['history'] = [];
    sequence.forEach((status, step) => {
      const at =
        i % SEQUENCES.length === 4 && step <= 1 ? start : start + step * 1_000 + randomInt(1_000);
      const detail =
        status === 'failed'
          ? `carrier rejected ${i}`
          : status === 'delivered' && i % 2 === 0
            ? 'handset ack'
            : undefined;
      const event: PlannedResult = {
        eventId: `${prefix}-ev-${i}-${step}`,
        messageId,
        channel,
        status,
        occurredAt: i % 7 === 0 ? withOffset(at) : new Date(at).toISOString(),
        ...(requestId !== undefined && (step === 0 || i % 2 === 0) ? { requestId } : {}),
        ...(detail !== undefined ? { detail } : {}),
      };
      events.push(event);
      history.push({ status, detail: detail ?? null, occurredAt: new Date(at).toISOString() });
    });
    expected.set(messageId, {
      messageId,
      requestId: requestId ?? null,
      channel,
      status: sequence[sequence.length - 1],
      history,
    });
    if (requestId !== undefined)
      requests.set(requestId, [...(requests.get(requestId) ?? []), messageId]);
  }
  for (const ids of requests.values()) ids.sort(byCodePoint);
  for (let i = events.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [events[i], events[j]] = [events[j], events[i]];
  }
  // Same-instant pairs go out sent-first, so only the lifecycle rank can put accepted first.
  const position = new Map(events.map((event, index) => [event.eventId, index]));
  for (let i = 4; i < messages; i += SEQUENCES.length) {
    const accepted = position.get(`${prefix}-ev-${i}-0`)!;
    const sent = position.get(`${prefix}-ev-${i}-1`)!;
    if (accepted < sent) [events[accepted], events[sent]] = [events[sent], events[accepted]];
  }
  return { events, expected, requests };
}
