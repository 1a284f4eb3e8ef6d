/**
 * RmqConnection over `amqps://` against a local Node TLS server standing in for the broker (the
 * shared RabbitMQ has no TLS listener): the TLS handshake is real, with the CA, client
 * certificate and server name given; the AMQP handshake after it fails, which is not asserted on.
 */
import { createTestCertificates, type TestCertificates } from '@test/support';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { BrokerAccess } from '../broker-access';
import { RmqConnection } from './rmq-connection';
import type { RmqTlsOptions } from './rmq-tls.config';

interface Handshake {
  readonly servername: string | false | null;
  readonly clientCertificate?: string | string[];
}

const quiet = { log: () => undefined, error: () => undefined, warn: () => undefined };

describe('RmqConnection over TLS', () => {
  let certificates: TestCertificates;
  let server: Server;
  let port: number;
  let handshakes: Handshake[];

  beforeAll(async () => {
    certificates = createTestCertificates('event-pipeline');
    server = createServer(
      {
        cert: readFileSync(certificates.serverCertFile),
        key: readFileSync(certificates.serverKeyFile),
        ca: readFileSync(certificates.caFile),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (socket: TLSSocket) => {
        const peer = socket.getPeerCertificate();
        handshakes.push({
          servername: socket.servername,
          clientCertificate: socket.authorized ? peer.subject?.CN : undefined,
        });
        socket.destroy(); // not a broker: the AMQP handshake fails after TLS succeeded
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  beforeEach(() => {
    handshakes = [];
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    certificates.remove();
  });

  /** Connects once; resolves with the error message and what the access record says after it. */
  async function attempt(
    tls: RmqTlsOptions,
    host = 'localhost',
  ): Promise<{ error: string; access: BrokerAccess }> {
    const access = new BrokerAccess();
    const connection = new RmqConnection({
      url: `amqps://guest:s3cret-pw@${host}:${port}`,
      name: 'tls-test',
      logger: quiet,
      connectTimeoutMs: 2_000,
      tls,
      access,
    });
    try {
      const error = await connection.connect().then(
        () => 'connected',
        (e: Error) => e.message,
      );
      return { error, access };
    } finally {
      await connection.close();
    }
  }

  const ca = () => readFileSync(certificates.caFile);

  it('completes the TLS handshake with the right CA (the fake broker then hangs up)', async () => {
    const { error, access } = await attempt({ ca: ca(), rejectUnauthorized: true });

    expect(handshakes).toEqual([{ servername: 'localhost', clientCertificate: undefined }]);
    expect(error).toMatch(/^RabbitMQ unreachable \(tls-test\): /);
    expect(access.rejection()).toBeUndefined();
  });

  it('refuses a broker certificate the CA did not sign, and reports it as an access rejection', async () => {
    const { error, access } = await attempt({
      ca: readFileSync(certificates.otherCaFile),
      rejectUnauthorized: true,
    });

    expect(handshakes).toEqual([]);
    expect(access.rejection()).toMatch(/^TLS: certificate verify failed \(.+\)$/);
    expect(error).toBe(`RabbitMQ refused access (tls-test): ${access.rejection()}`);
    expect(error).not.toContain('s3cret-pw');
  });

  it('without a CA, refuses the private CA unless verification is turned off', async () => {
    const verifying = await attempt({ rejectUnauthorized: true });
    expect(verifying.access.rejection()).toMatch(/^TLS: certificate verify failed/);
    expect(handshakes).toEqual([]);

    const trusting = await attempt({ rejectUnauthorized: false });
    expect(handshakes).toHaveLength(1);
    expect(trusting.access.rejection()).toBeUndefined();
  });

  it('presents the client certificate and verifies the broker by RABBITMQ_SSL_SERVERNAME', async () => {
    const { access } = await attempt(
      {
        ca: ca(),
        cert: readFileSync(certificates.clientCertFile),
        key: readFileSync(certificates.clientKeyFile),
        rejectUnauthorized: true,
        servername: 'localhost',
      },
      '127.0.0.1',
    );

    expect(handshakes).toEqual([{ servername: 'localhost', clientCertificate: 'event-pipeline' }]);
    expect(access.rejection()).toBeUndefined();
  });

  it('refuses a broker whose certificate does not carry the expected name', async () => {
    const { access } = await attempt({
      ca: ca(),
      rejectUnauthorized: true,
      servername: 'rabbit.example',
    });

    expect(handshakes).toHaveLength(0);
    expect(access.rejection()).toMatch(
      /^TLS: certificate verify failed \(Hostname\/IP does not match/,
    );
  });
});
