/**
 * A consuming app on Kafka starts while the broker is unreachable: it stays ready (the outage
 * shows as the broker's state), keeps connecting in the background, and consumes once the broker
 * is back, instead of failing start-up and being restarted in a loop. Against the test run's
 * real broker, reached through a proxy the test cuts (only the bootstrap goes through it).
 */
import type { HttpApp } from '@lib/platform';
import { TcpProxy, testServices, uniqueName } from '@test/support';
import { publishUntilConsumed, readinessOf, startRecordingApp } from './recording-app';

jest.setTimeout(90_000);

describe('a consuming app starting while Kafka is unreachable (real broker)', () => {
  it('starts ready, then consumes once the broker is back', async () => {
    const [host, port] = testServices().kafkaBrokers.split(',')[0].split(':');
    const proxy = await TcpProxy.start(host, Number(port));
    proxy.cut();
    const stream = uniqueName('kafka-unreachable');
    const received: string[] = [];
    let app: HttpApp | undefined;
    try {
      app = await startRecordingApp(
        uniqueName('kafka-startup'),
        stream,
        { BROKER: 'kafka', KAFKA_BROKERS: proxy.address },
        received,
      );
      const { status, body } = await readinessOf(app);
      expect(status).toBe(200);
      expect(body.info.kafka.state).toBe('unreachable');

      proxy.restore();
      await publishUntilConsumed(app, stream, 'after-outage', received, 60_000);
    } finally {
      await app?.app.close();
      await proxy.close();
    }
  });
});
