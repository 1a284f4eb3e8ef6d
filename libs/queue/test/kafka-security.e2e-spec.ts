/**
 * Kafka over SASL_SSL (SCRAM, CA verification) and mutual TLS against a real broker of the test's
 * own; a wrong password or an unknown CA is reported as refused access while the app keeps
 * running and retrying, with a bounded number of log lines and no secret in any of them.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpApp } from '@lib/platform';
import { EventPublisher, PublishError } from '@lib/queue';
import {
  createTestKafkaCa,
  startDedicatedKafka,
  uniqueName,
  waitFor,
  type KafkaBroker,
} from '@test/support';
import { BrokerAccess } from '../src/broker-access';
import { startRecordingApp } from './recording-app';

jest.setTimeout(180_000);

/** Every line the process writes to stdout while a test runs (the apps' JSON logs). */
class StdoutCapture {
  readonly lines: string[] = [];
  private spy?: jest.SpyInstance;

  start(): void {
    const write = process.stdout.write.bind(process.stdout);
    this.spy = jest.spyOn(process.stdout, 'write').mockImplementation(((
      chunk: string | Uint8Array,
      ...rest: unknown[]
    ) => {
      this.lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.length > 0),
      );
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write);
  }

  stop(): void {
    this.spy?.mockRestore();
  }
}

/** An app consuming `stream` with the given Kafka variables; received events land in `received`. */
function startApp(group: string, stream: string, env: Record<string, string>, received: string[]) {
  return startRecordingApp(group, stream, { BROKER: 'kafka', LOG_LEVEL: 'warn', ...env }, received);
}

/** `/health/ready` answers 503 and names the refusal under the broker's check. */
async function expectNotReady(app: HttpApp, reason: RegExp): Promise<void> {
  const response = await fetch(`http://${app.host}:${app.port}/health/ready`);
  expect(response.status).toBe(503);
  const body = (await response.json()) as { error?: Record<string, { message?: string }> };
  expect(body.error?.kafka?.message).toMatch(reason);
}

function event(stream: string, eventId: string) {
  return { stream, key: eventId, value: { eventId, at: Date.now() } };
}

describe('Kafka security (real broker with SASL_SSL and mutual TLS)', () => {
  let broker: KafkaBroker;
  let dir: string;

  beforeAll(async () => {
    broker = await startDedicatedKafka({ saslSsl: true });
    dir = mkdtempSync(join(tmpdir(), 'ep-kafka-security-'));
  });
  afterAll(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scramEnv = (password: string, caFile = broker.saslSsl!.caFile): Record<string, string> => ({
    KAFKA_BROKERS: broker.saslSsl!.brokers,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: broker.saslSsl!.username,
    KAFKA_SASL_PASSWORD: password,
  });

  it.each([
    ['SCRAM-SHA-512 over TLS', () => scramEnv(broker.saslSsl!.password)],
    [
      'mutual TLS (client certificate)',
      () => ({
        KAFKA_BROKERS: broker.mtls!.brokers,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: broker.mtls!.caFile,
        KAFKA_SSL_CERT_FILE: broker.mtls!.certFile,
        KAFKA_SSL_KEY_FILE: broker.mtls!.keyFile,
      }),
    ],
  ])('publishes and consumes with %s', async (_name, env) => {
    const stream = uniqueName('secure');
    const received: string[] = [];
    const app = await startApp(uniqueName('secure-app'), stream, env(), received);
    try {
      const ids = ['a', 'b', 'c'].map((s) => `${stream}-${s}`);
      await app.app.get(EventPublisher).publish(ids.map((id) => event(stream, id)));
      await waitFor(async () => received.length >= ids.length, {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: 'the events consumed',
      });
      expect([...received].sort()).toEqual(ids);
      expect(app.app.get(BrokerAccess).rejection()).toBeUndefined();
    } finally {
      await app.app.close();
    }
  });

  it('creates main, retry and dead-letter topics with the configured partitions, replication and retention', async () => {
    const stream = uniqueName('topics');
    const group = uniqueName('topics-app');
    const app = await startApp(
      group,
      stream,
      {
        ...scramEnv(broker.saslSsl!.password),
        KAFKA_TOPIC_PARTITIONS: '4',
        KAFKA_RETRY_TOPIC_PARTITIONS: '2',
        KAFKA_DLT_PARTITIONS: '1',
        KAFKA_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TOPIC_RETENTION_MS: '3600000',
        KAFKA_RETRY_TOPIC_RETENTION_MS: '7200000',
        KAFKA_DLT_RETENTION_MS: '-1',
      },
      [],
    );
    const admin = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      const retry = `${stream}.${group}.retry.1s`;
      const dlt = `${stream}.${group}.dlt`;
      const { topics } = await admin.fetchTopicMetadata({ topics: [stream, retry, dlt] });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ [stream]: 4, [retry]: 2, [dlt]: 1 });
      for (const t of topics) for (const p of t.partitions) expect(p.replicas).toHaveLength(1);
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [stream, retry, dlt].map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['retention.ms'],
        })),
      });
      const retention = Object.fromEntries(
        described.resources.map((r) => [
          r.resourceName,
          r.configEntries.find((e) => e.configName === 'retention.ms')?.configValue,
        ]),
      );
      expect(retention).toEqual({ [stream]: '3600000', [retry]: '7200000', [dlt]: '-1' });
    } finally {
      await admin.disconnect();
      await app.app.close();
    }
  });

  it('a wrong password is refused access: the app stays up, retries with backoff and logs one line per interval', async () => {
    const capture = new StdoutCapture();
    const wrongPassword = 'not-the-password-4f1c2e';
    const stream = uniqueName('refused');
    const failedAuthentications = () =>
      (
        readFileSync(join(broker.logDir, 'server.log'), 'utf8').match(/Failed authentication/g) ??
        []
      ).length;
    const before = failedAuthentications();
    const rejectionLines = () =>
      capture.lines.filter((l) => l.includes('Kafka rejected the SASL credentials'));
    const started = Date.now();
    capture.start();
    let app: HttpApp | undefined;
    let elapsedMs: number;
    try {
      app = await startApp(uniqueName('refused-app'), stream, scramEnv(wrongPassword), []);
      const access = app.app.get(BrokerAccess);
      expect(access.rejection()).toMatch(/SASL credentials/);
      await expectNotReady(app, /Kafka rejected the SASL credentials/);
      await expect(
        app.app.get(EventPublisher).publish([event(stream, 'x')]),
      ).rejects.toBeInstanceOf(PublishError);
      const early = failedAuthentications();
      // The consumer reconnects after 1, 2, 4, 8 s...; a rejection that lasts is logged again
      // once the 10 s interval has passed.
      await waitFor(async () => rejectionLines().length >= 2, {
        timeoutMs: 60_000,
        intervalMs: 200,
        description: 'a second log line about the refused credentials',
      });
      elapsedMs = Date.now() - started;
      const late = failedAuthentications();
      expect(access.rejection()).toMatch(/SASL credentials/);
      // It kept trying (the broker saw more refused handshakes), but with backoff, not in a loop.
      expect(late).toBeGreaterThan(early);
      expect(late - before).toBeLessThan(40);
    } finally {
      await app?.app.close();
      capture.stop();
    }
    // At most one line per 10 s interval (plus the first) while the rejection lasted.
    expect(rejectionLines().length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 10_000) + 1);
    for (const line of capture.lines) {
      expect(line).not.toContain(wrongPassword);
      expect(line).not.toMatch(/\n\s+at |"stack"/);
    }
    // Nothing else floods the log: kafkajs' own lines about the refusal are filtered.
    expect(capture.lines.length).toBeLessThanOrEqual(rejectionLines().length + 4);
  });

  it('a broker certificate from an unknown CA is refused access too', async () => {
    const otherCa = createTestKafkaCa(dir, 'other-ca');
    const stream = uniqueName('untrusted');
    const app = await startApp(
      uniqueName('untrusted-app'),
      stream,
      scramEnv(broker.saslSsl!.password, otherCa.certFile),
      [],
    );
    try {
      const access = app.app.get(BrokerAccess);
      expect(access.rejection()).toMatch(
        /TLS certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)/,
      );
      await expectNotReady(app, /TLS certificate is not trusted/);
      await expect(
        app.app.get(EventPublisher).publish([event(stream, 'x')]),
      ).rejects.toBeInstanceOf(PublishError);
    } finally {
      await app.app.close();
    }
  });
});
