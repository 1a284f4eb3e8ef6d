/**
 * A wrong password against the real broker: RabbitMQ answers ACCESS_REFUSED, the connection
 * reports it to BrokerAccess (readiness), keeps retrying with its backoff and logs one line per
 * burst of attempts, never the password or the URL; the right password clears the rejection.
 */
import { BrokerAccess } from '../src/broker-access';
import { RmqConnection } from '../src/rabbitmq/rmq-connection';
import { RabbitProbe } from './rabbitmq-test-helpers';

const WRONG_PASSWORD = 'not-the-password-42';

describe('RmqConnection refused by RabbitMQ (real broker)', () => {
  let probe: RabbitProbe;

  beforeAll(async () => {
    probe = await RabbitProbe.open();
  });

  afterAll(async () => {
    await probe.close();
  });

  it('reports ACCESS_REFUSED to BrokerAccess, keeps retrying, and never logs the password', async () => {
    const lines: string[] = [];
    const logger = {
      log: (line: string) => lines.push(line),
      warn: (line: string) => lines.push(line),
      error: (line: string) => lines.push(line),
    };
    const access = new BrokerAccess();
    const url = new URL(probe.urlVia(probe.target.port));
    url.password = WRONG_PASSWORD;
    const refused = new RmqConnection({
      url: url.toString(),
      name: 'access-test',
      logger,
      access,
      reconnectMinMs: 10,
      reconnectMaxMs: 20,
    });
    try {
      refused.connectInBackground();
      // The connection logs its first failure and then every tenth: two lines mean ten attempts.
      const deadline = Date.now() + 10_000;
      while (lines.length < 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));

      expect(access.rejection()).toBe(
        'RabbitMQ refused the login (ACCESS_REFUSED): check the user and password of RABBITMQ_URL',
      );
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        expect(line).toMatch(
          /^not connected \(RabbitMQ refused access \(access-test\): RabbitMQ refused the login/,
        );
        expect(line).not.toContain(WRONG_PASSWORD);
        expect(line).not.toContain('amqp://');
      }
      expect(refused.isConnected).toBe(false);
    } finally {
      await refused.close();
    }

    const accepted = new RmqConnection({
      url: probe.urlVia(probe.target.port),
      name: 'access-test',
      access,
    });
    try {
      await accepted.connect();
      expect(access.rejection()).toBeUndefined();
    } finally {
      await accepted.close();
    }
  });
});
