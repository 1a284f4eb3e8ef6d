/**
 * Default bound on the wait for a direct publish's ack (PUBLISH_ACK_TIMEOUT_MS). A healthy
 * single-node Kafka or RabbitMQ acknowledges a request's batch in a few ms, tens of ms at the
 * busiest on the test machine; 150 ms is well above that and keeps an outage's first requests
 * under the 200 ms aim.
 */
export const PUBLISH_ACK_TIMEOUT_DEFAULT_MS = 150;

/** What {@link withinAckBound} saw: the publish settled (resolved) in time, or it is still pending. */
export type BoundOutcome = 'acked' | 'late';

/**
 * Waits at most `boundMs` for `publish`: resolves 'acked' when it resolved in time, 'late' when it
 * had not settled by then (it keeps running), and rejects with its error when it failed in time.
 */
export function withinAckBound(publish: Promise<void>, boundMs: number): Promise<BoundOutcome> {
  // Two promises rather than a race of three: this runs once per request on the intake path.
  return new Promise<BoundOutcome>((resolve, reject) => {
    const timer = setTimeout(() => resolve('late'), boundMs);
    publish.then(
      () => {
        clearTimeout(timer);
        resolve('acked');
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
