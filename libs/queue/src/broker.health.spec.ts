import { HealthIndicatorService } from '@nestjs/terminus';
import { BrokerAccess } from './broker-access';
import { BrokerHealthIndicator } from './broker.health';
import type { ConsumerControl } from './consumer-control';
import type { EventPublisher } from './event-publisher';
import { queueConfig } from './queue.config';

describe('BrokerHealthIndicator', () => {
  let connected: boolean;
  let consuming: boolean;
  let access: BrokerAccess;
  let indicator: BrokerHealthIndicator;

  beforeEach(() => {
    connected = true;
    consuming = true;
    access = new BrokerAccess();
    const publisher = { isConnected: () => connected } as unknown as EventPublisher;
    const consumers = { isHealthy: () => consuming } as unknown as ConsumerControl;
    indicator = new BrokerHealthIndicator(
      new HealthIndicatorService(),
      queueConfig.load({ BROKER: 'kafka' }),
      publisher,
      consumers,
      access,
    );
  });

  it('is up and says connected while the publisher and the consumers are', () => {
    expect(indicator.check()).toEqual({
      kafka: { status: 'up', state: 'connected', publisher: 'connected', consumers: 'consuming' },
    });
  });

  it('stays up while the broker is unreachable, and shows it', () => {
    connected = false;
    expect(indicator.check()).toEqual({
      kafka: {
        status: 'up',
        state: 'unreachable',
        publisher: 'disconnected',
        consumers: 'consuming',
      },
    });
    consuming = false;
    expect(indicator.check().kafka).toEqual(
      expect.objectContaining({ status: 'up', state: 'unreachable', consumers: 'not consuming' }),
    );
  });

  it('is down while the broker rejects our credentials, reachable or not, until it accepts them again', () => {
    access.rejected('SASL authentication failed');
    expect(indicator.check().kafka).toEqual(
      expect.objectContaining({
        status: 'down',
        state: 'rejected',
        message: expect.stringContaining('SASL authentication failed'),
      }),
    );
    connected = false;
    expect(indicator.check().kafka.status).toBe('down');

    access.accepted();
    connected = true;
    expect(indicator.check().kafka).toEqual(
      expect.objectContaining({ status: 'up', state: 'connected' }),
    );
  });
});
