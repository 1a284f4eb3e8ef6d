/**
 * A consuming app on RabbitMQ starts whatever the broker does at that moment: refused (a wrong
 * password) it stays up with readiness 503 naming the refusal; unreachable (a cut proxy) it stays
 * ready and consumes once the broker is back. Against the machine's real RabbitMQ.
 */
import { TcpProxy, testServices, uniqueName } from '@test/support';
import { publishUntilConsumed, readinessOf, startRecordingApp } from './recording-app';

jest.setTimeout(60_000);

function startConsumer(url: string, stream: string, received: string[]) {
  return startRecordingApp(
    uniqueName('rmq-startup'),
    stream,
    { BROKER: 'rabbitmq', RABBITMQ_URL: url },
    received,
  );
}

describe('a consuming app starting while RabbitMQ is not there for it (real broker)', () => {
  const rabbitmqUrl = () => testServices().rabbitmqUrl;

  it('refused: starts, answers /health/ready 503 with the refusal, never showing the password', async () => {
    const url = new URL(rabbitmqUrl());
    const wrongPassword = 'not-the-password-93';
    url.password = wrongPassword;
    const app = await startConsumer(url.toString(), uniqueName('refused'), []);
    try {
      const { status, body } = await readinessOf(app);
      expect(status).toBe(503);
      expect(body.error.rabbitmq.message).toMatch(/ACCESS_REFUSED/);
      expect(JSON.stringify(body)).not.toContain(wrongPassword);
      expect((await fetch(`http://${app.host}:${app.port}/health/live`)).status).toBe(200);
    } finally {
      await app.app.close();
    }
  });

  it('unreachable: starts ready, then consumes once the broker is back', async () => {
    const target = new URL(rabbitmqUrl());
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
    proxy.cut();
    const viaProxy = new URL(rabbitmqUrl());
    viaProxy.host = proxy.address;
    const stream = uniqueName('unreachable');
    const received: string[] = [];
    const app = await startConsumer(viaProxy.toString(), stream, received);
    try {
      const { status, body } = await readinessOf(app);
      expect(status).toBe(200);
      expect(body.info.rabbitmq.state).toBe('unreachable');

      proxy.restore();
      await publishUntilConsumed(app, stream, 'after-outage', received, 30_000);
    } finally {
      await app.app.close();
      await proxy.close();
    }
  });
});
