import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The SASL_SSL listener of a broker started with `saslSsl`: SCRAM-SHA-512 and -256 for one user. */
export interface KafkaSaslSslListener {
  readonly brokers: string;
  /** The CA that signed the broker's certificate. */
  readonly caFile: string;
  readonly username: string;
  readonly password: string;
}

/** The mutual-TLS listener of a broker started with `saslSsl`: a client certificate signed by the CA is required. */
export interface KafkaMtlsListener {
  readonly brokers: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A running single-node Kafka broker started by docker/kafka/kafka-broker.js. */
export interface KafkaBroker {
  /** Bootstrap address, `127.0.0.1:<port>` (PLAINTEXT). */
  readonly brokers: string;
  readonly port: number;
  /** The broker's Kafka version (4.4.0 unless TEST_KAFKA_VERSION says otherwise). */
  readonly version: string;
  /** Set when started with `saslSsl`. */
  readonly saslSsl?: KafkaSaslSslListener;
  /** Set when started with `saslSsl`. */
  readonly mtls?: KafkaMtlsListener;
  /** Temp dir with config and data; deleted by stop(). */
  readonly dir: string;
  /** Where server.log and kafka.out are written. */
  readonly logDir: string;
  /** How long the first start took, in ms. */
  readonly startupMs: number;
  /** PID of the current JVM; changes after restart(). */
  readonly pid: number;
  /** Kills the JVM (SIGKILL unless told otherwise) and keeps its data, to simulate an outage. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the broker again on the same port and data; resolves once it answers. */
  restart(): Promise<void>;
  /** Stops the broker (SIGTERM, SIGKILL after 10 s) and deletes its temp dir; idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startDedicatedKafka}. */
export interface StartKafkaOptions {
  /** Keep server.log here (it survives stop()); default: inside the temp dir. */
  logDir?: string;
  /** PLAINTEXT port; default: a free one. */
  port?: number;
  /** JVM max heap in MiB; default 512. */
  heapMb?: number;
  /** Also open a SASL_SSL (SCRAM) and a mutual-TLS listener with certificates generated in the temp dir. */
  saslSsl?: boolean;
}

interface KafkaBrokerModule {
  startKafka(options?: StartKafkaOptions): Promise<KafkaBroker>;
  createCertificateAuthority(dir: string, name?: string): { certFile: string; keyFile: string };
}

function brokerModule(): KafkaBrokerModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(brokerScript()) as KafkaBrokerModule;
}

/** Finds docker/kafka/kafka-broker.js from the source tree and from dist/ alike. */
function brokerScript(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'docker', 'kafka', 'kafka-broker.js');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir)
      throw new Error(`docker/kafka/kafka-broker.js not found above ${__dirname}`);
  }
}

/**
 * Starts a Kafka broker of the test's own, for tests that kill and restart it; the caller must
 * stop() it (e.g. in afterAll). Tests that only need a broker use testServices().kafkaBrokers.
 */
export function startDedicatedKafka(options?: StartKafkaOptions): Promise<KafkaBroker> {
  return brokerModule().startKafka(options);
}

/** Generates a self-signed CA (`<dir>/<name>.pem`), e.g. one the client trusts but the broker's certificate is not from. */
export function createTestKafkaCa(
  dir: string,
  name = 'other-ca',
): { certFile: string; keyFile: string } {
  return brokerModule().createCertificateAuthority(dir, name);
}
