import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ConfigOf } from '@lib/config';
import { ConsumerControl } from './consumer-control';
import { EventPublisher } from './event-publisher';
import { queueConfig } from './queue.config';

/**
 * Readiness of the configured broker (key: `memory`, `kafka` or `rabbitmq`), from the state the
 * publisher and the consumers already track: no connection is opened per probe.
 */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(queueConfig.token) private readonly config: ConfigOf<typeof queueConfig>,
    private readonly publisher: EventPublisher,
    private readonly consumers: ConsumerControl,
  ) {}

  check() {
    const indicator = this.health.check(this.config.BROKER);
    if (!this.publisher.isConnected()) return indicator.down({ message: 'publisher not connected' });
    if (!this.consumers.isHealthy()) return indicator.down({ message: 'consumers not connected' });
    return indicator.up();
  }
}
