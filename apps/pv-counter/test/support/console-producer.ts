/**
 * Kafka's own console producer (a Java client, not kafkajs) from the jars of the test broker's
 * Kafka version, for tests of what a producer outside this repository may send.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One record as the console producer reads it: a key, a value and optional headers. */
export interface ConsoleRecord {
  readonly key: string;
  readonly value: string;
  /** Names to values; neither may contain `,`, `:` or a tab. */
  readonly headers?: Readonly<Record<string, string>>;
}

interface KafkaBrokerScript {
  readonly KAFKA_VERSION: string;
  readonly JARS_DIR: string;
  ensureJars(): Promise<string>;
}

function brokerScript(): KafkaBrokerScript {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'docker', 'kafka', 'kafka-broker.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (existsSync(candidate)) return require(candidate) as KafkaBrokerScript;
    if (dirname(dir) === dir)
      throw new Error(`docker/kafka/kafka-broker.js not found above ${__dirname}`);
  }
}

/** The classpath and main class of the console producer of the broker's Kafka version. */
interface ProducerCommand {
  readonly version: string;
  readonly classpath: string;
  readonly mainClass: string;
  /** `--reader-property` from Kafka 4 on; `--property` before. */
  readonly propertyFlag: string;
}

/**
 * Kafka 3.x ships `kafka.tools.ConsoleProducer` in the broker jar; from 4.0 on it is
 * `org.apache.kafka.tools.ConsoleProducer` in `kafka-tools`, which the broker does not need, so
 * it is fetched from Maven Central beside the broker's jars.
 */
async function producerCommand(): Promise<ProducerCommand> {
  const broker = brokerScript();
  const jars = await broker.ensureJars();
  const version = broker.KAFKA_VERSION;
  if (Number(version.split('.')[0]) < 4) {
    return {
      version,
      classpath: join(jars, '*'),
      mainClass: 'kafka.tools.ConsoleProducer',
      propertyFlag: '--property',
    };
  }
  const toolsDir = join(dirname(dirname(jars)), 'kafka-tools', version);
  const toolsJar = join(toolsDir, `kafka-tools-${version}.jar`);
  if (!existsSync(toolsJar)) {
    const staging = `${toolsDir}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    const args = [
      '-B',
      '-q',
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy',
      `-Dartifact=org.apache.kafka:kafka-tools:${version}`,
      `-DoutputDirectory=${staging}`,
    ];
    const fetched = spawnSync('mvn', args, { encoding: 'utf8', timeout: 180_000 });
    if (fetched.status !== 0) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(
        `mvn ${args.join(' ')} failed (${fetched.status}): ${fetched.stdout}${fetched.stderr}`,
      );
    }
    rmSync(toolsDir, { recursive: true, force: true });
    renameSync(staging, toolsDir);
  }
  return {
    version,
    classpath: `${join(jars, '*')}:${join(toolsDir, '*')}`,
    mainClass: 'org.apache.kafka.tools.ConsoleProducer',
    propertyFlag: '--reader-property',
  };
}

/**
 * Sends `records` to `topic` with `java … ConsoleProducer` (acks from every in-sync replica) and
 * resolves once it has exited 0. Either every record has headers or none has: the console
 * producer parses headers for a whole run.
 */
export async function produceWithConsoleProducer(
  brokers: string,
  topic: string,
  records: readonly ConsoleRecord[],
): Promise<void> {
  const command = await producerCommand();
  const withHeaders = records.some((record) => record.headers !== undefined);
  const property = (text: string) => [command.propertyFlag, text];
  const args = [
    '-cp',
    command.classpath,
    command.mainClass,
    '--bootstrap-server',
    brokers,
    '--topic',
    topic,
    '--request-required-acks',
    'all',
    ...property('parse.key=true'),
    ...property('key.separator=\t'),
    ...(withHeaders
      ? [
          ...property('parse.headers=true'),
          ...property('headers.delimiter=\t'),
          ...property('headers.separator=,'),
          ...property('headers.key.separator=:'),
        ]
      : []),
  ];
  const lines = records.map((record) => {
    const line = `${record.key}\t${record.value}`;
    if (!withHeaders) return line;
    const headers = Object.entries(record.headers ?? {}).map(([name, value]) => `${name}:${value}`);
    if (headers.length === 0) throw new Error('every record of a run with headers needs one');
    return `${headers.join(',')}\t${line}`;
  });
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end(`${lines.join('\n')}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
  if (code !== 0)
    throw new Error(
      `Kafka ${command.version} ${command.mainClass} exited ${code}:\n${output.slice(-4_000)}`,
    );
}
