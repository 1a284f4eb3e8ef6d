import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ConfigOf } from '@lib/config';
import { BrokerAccess } from './broker-access';
import { ConsumerControl } from './consumer-control';
import { EventPublisher } from './event-publisher';
import { queueConfig } from './queue.config';

/**
 * Readiness of the configured broker (key: `memory`, `kafka` or `rabbitmq`), from the state the
 * publisher and the consumers already track: no connection is opened per probe.
 *
 * Down only while the broker rejects our credentials or certificates: that needs an operator,
 * and no app works right until then. An unreachable broker is shown (`state: unreachable`) but
 * keeps the app ready: ingest spools (its spool's own check turns 503 when full), and the
 * consumers still answer reads from PostgreSQL and resume where they stopped; every replica shares
 * the broker, so taking them out of service would only stop the reads.
 */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(queueConfig.token) private readonly config: ConfigOf<typeof queueConfig>,
    private readonly publisher: EventPublisher,
    private readonly consumers: ConsumerControl,
    private readonly access: BrokerAccess,
  ) {}

  check() {
    const indicator = this.health.check(this.config.BROKER);
    const publisher = this.publisher.isConnected() ? 'connected' : 'disconnected';
    const consumers = this.consumers.isHealthy() ? 'consuming' : 'not consuming';
    const rejection = this.access.rejection();
    if (rejection !== undefined) {
      return indicator.down({
        state: 'rejected',
        publisher,
        consumers,
        message: `the broker rejected this app's credentials or certificates: ${rejection}`,
      });
    }
    const reachable = publisher === 'connected' && consumers === 'consuming';
    return indicator.up({ state: reachable ? 'connected' : 'unreachable', publisher, consumers });
  }
}
