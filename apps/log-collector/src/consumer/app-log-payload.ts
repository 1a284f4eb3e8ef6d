import { logInput, stampedPayload } from '@lib/contracts';

/**
 * An `app-logs` payload: the `POST /v1/logs` body plus `eventId` and `receivedAt`, `occurredAt`
 * defaulting to `receivedAt` (stampedPayload). The log shippers of the apps send no
 * `receivedAt`: the consumer reads it as the broker's record time.
 */
export const appLogPayload = stampedPayload(logInput);
