/**
 * docker-compose.yml and docker/Dockerfile agree with docs/contract.md: each app on its port, healthy
 * only when /health/ready says so, started after its broker and database are healthy and the
 * migrations have run, one broker per profile, and never listening on 0.0.0.0 without API keys
 * (no placeholder key). No Docker engine needed: the files are parsed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { consoleConfig } from '@lib/console';

const ROOT = join(__dirname, '..');
/** docs/contract.md, "Processes and ports". */
const APP_PORTS: Record<string, number> = {
  ingest: 3000,
  aggregator: 3001,
  'log-collector': 3002,
  'pv-counter': 3003,
};
/** The apps with a database: they leave migrations to the migrate service. */
const DATABASE_APPS = ['aggregator', 'log-collector', 'pv-counter'];
/** What an operator sets for `docker compose up` (API_KEYS is required). */
const UP_VARS: Env = { API_KEYS: 'k1,k2' };

type Env = Record<string, string>;
interface Dependency {
  condition?: string;
  required?: boolean;
}
interface Service {
  image?: string;
  profiles?: string[];
  command?: string | string[];
  restart?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Env | string[];
  ports?: Array<string | { published: string | number; target: number }>;
  depends_on?: string[] | Record<string, Dependency>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: Array<string | { type?: string; source?: string; target: string }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/**
 * What compose makes of `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `${VAR:?error}` given
 * the variables set; the last one fails (as `docker compose` does) when VAR is unset or empty.
 */
function interpolate(value: string, vars: Env = {}): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?:(:?)([-?])([^}]*))?\}/g,
    (_, name: string, colon: string, operator: string, text = '') => {
      const unset = vars[name] === undefined || (colon && vars[name] === '');
      if (operator === '?' && unset) throw new Error(`required variable ${name}: ${text}`);
      return unset ? (operator === '-' ? text : '') : vars[name];
    },
  );
}

/** The Kafka version the tests' broker runs by default (docker/kafka/kafka-broker.js fetches it). */
function testBrokerKafkaVersion(): string {
  const pom = readFileSync(join(ROOT, 'docker', 'kafka', 'pom.xml'), 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error('docker/kafka/pom.xml names no <kafka.version>');
  return version;
}

function environment(service: Service, vars: Env = UP_VARS): Env {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env)
    ? env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])
    : Object.entries(env);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(String(v), vars)]));
}

function publishedPorts(service: Service): string[] {
  return (service.ports ?? []).map((p) =>
    typeof p === 'string'
      ? p.replace(/^127\.0\.0\.1:|^0\.0\.0\.0:/, '')
      : `${p.published}:${p.target}`,
  );
}

function healthcheckCommand(service: Service): string {
  const test = service.healthcheck?.test ?? [];
  return Array.isArray(test) ? test.join(' ') : test;
}

function dependency(service: Service, name: string): Dependency | undefined {
  const deps = service.depends_on;
  return deps && !Array.isArray(deps) ? deps[name] : undefined;
}

function dependsOnHealthy(service: Service, name: string): boolean {
  return dependency(service, name)?.condition === 'service_healthy';
}

describe('docker-compose.yml', () => {
  // docker compose resolves YAML merge keys (`<<: *app`), so the parser must too.
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as Compose;

  it.each(['kafka', 'rabbitmq'])(
    'starts %s only under its own profile, so the other broker does not start',
    (broker) => {
      expect(compose.services[broker].profiles).toEqual([broker]);
    },
  );

  it('starts PostgreSQL and the apps whatever the profile', () => {
    for (const name of ['postgres', 'migrate', ...Object.keys(APP_PORTS)]) {
      expect(`${name}: ${compose.services[name].profiles ?? 'always'}`).toBe(`${name}: always`);
    }
  });

  describe('migrate', () => {
    const migrate = compose.services.migrate;

    it("runs the migration CLI once, after PostgreSQL is healthy, on the apps' database", () => {
      const command = [migrate.command ?? []].flat();
      expect(command).toEqual([
        'node',
        '-r',
        './scripts/register-paths.js',
        'dist/libs/database/src/cli/migration-run.js',
      ]);
      expect(existsSync(join(ROOT, 'libs', 'database', 'src', 'cli', 'migration-run.ts'))).toBe(
        true,
      );
      expect(migrate.build?.dockerfile).toBe('docker/Dockerfile');
      expect(migrate.restart).toBe('no');
      expect(migrate.healthcheck?.disable).toBe(true);
      expect(dependsOnHealthy(migrate, 'postgres')).toBe(true);
      for (const app of DATABASE_APPS) {
        expect(environment(migrate).DATABASE_URL).toBe(
          environment(compose.services[app]).DATABASE_URL,
        );
      }
    });
  });

  it.each(['kafka', 'rabbitmq', 'postgres'])('gives %s a healthcheck', (name) => {
    const service = compose.services[name];
    expect(service).toBeDefined();
    expect(service.healthcheck?.disable).not.toBe(true);
    expect(healthcheckCommand(service)).not.toBe('');
  });

  describe('kafka', () => {
    const kafka = compose.services.kafka;
    const env = () => environment(kafka);

    it('runs Kafka 4 by default, the version the test broker runs', () => {
      const version = testBrokerKafkaVersion();
      expect(version).toMatch(/^4\.\d+\.\d+$/);
      expect(interpolate(kafka.image ?? '')).toBe(`apache/kafka:${version}`);
    });

    it('runs another image (e.g. Kafka 3.9) when KAFKA_IMAGE names one', () => {
      expect(interpolate(kafka.image ?? '', { KAFKA_IMAGE: 'apache/kafka:3.9.1' })).toBe(
        'apache/kafka:3.9.1',
      );
    });

    it('is a single KRaft node: broker and controller, its own voter, a fixed cluster id', () => {
      expect(env().KAFKA_PROCESS_ROLES).toBe('broker,controller');
      expect(env().CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const controller = env().KAFKA_CONTROLLER_LISTENER_NAMES;
      const controllerPort = new RegExp(`(?:^|,)${controller}://[^,]*:(\\d+)`).exec(
        env().KAFKA_LISTENERS,
      )?.[1];
      expect(controllerPort).toBeDefined();
      expect(env().KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(
        `${env().KAFKA_NODE_ID}@kafka:${controllerPort}`,
      );
    });

    it('sets no ZooKeeper or other broker setting that Kafka 4 removed', () => {
      const removed = [
        /^KAFKA_ZOOKEEPER_/,
        /^KAFKA_(LOG_)?MESSAGE_FORMAT_VERSION$/,
        /^KAFKA_LOG_MESSAGE_TIMESTAMP_DIFFERENCE_MAX_MS$/,
      ];
      for (const name of Object.keys(env())) {
        expect(removed.filter((pattern) => pattern.test(name))).toEqual([]);
      }
    });

    it('replicates every internal topic once, as one broker can', () => {
      for (const topic of [
        'OFFSETS_TOPIC',
        'TRANSACTION_STATE_LOG',
        'SHARE_COORDINATOR_STATE_TOPIC',
      ]) {
        expect(env()[`KAFKA_${topic}_REPLICATION_FACTOR`]).toBe('1');
      }
      for (const [name, value] of Object.entries(env())) {
        if (/_(REPLICATION_FACTOR|MIN_ISR)$/.test(name))
          expect(`${name}=${value}`).toBe(`${name}=1`);
      }
    });
  });

  describe.each(Object.entries(APP_PORTS))('%s', (app, port) => {
    const service = compose.services[app];
    const env = () => environment(service);

    it('is built from docker/Dockerfile for this app', () => {
      expect(service.build?.dockerfile).toBe('docker/Dockerfile');
      expect(service.build?.args?.APP).toBe(app);
    });

    it(`publishes port ${port} and listens on it`, () => {
      expect(publishedPorts(service)).toContain(`${port}:${port}`);
      expect(env().PORT ?? String(port)).toBe(String(port));
    });

    it('is healthy only when GET /health/ready succeeds on its port', () => {
      const command = healthcheckCommand(service);
      expect(command).toContain('/health/ready');
      // Either the port literally or $PORT, which the environment sets to it.
      expect(
        command.includes(`:${port}/`) ||
          (command.includes('process.env.PORT') && env().PORT === String(port)),
      ).toBe(true);
    });

    it('starts after whichever broker its profile runs is healthy', () => {
      expect(env().BROKER).toBe('kafka');
      expect(environment(service, { ...UP_VARS, BROKER: 'rabbitmq' }).BROKER).toBe('rabbitmq');
      for (const broker of ['kafka', 'rabbitmq']) {
        // Not required: the broker whose profile is off is not in the model.
        expect(dependency(service, broker)).toEqual({
          condition: 'service_healthy',
          required: false,
        });
      }
    });

    if (DATABASE_APPS.includes(app)) {
      it('starts after PostgreSQL is healthy and the migrations ran, and migrates nothing itself', () => {
        expect(dependsOnHealthy(service, 'postgres')).toBe(true);
        expect(dependency(service, 'migrate')?.condition).toBe('service_completed_successfully');
        expect(env().MIGRATIONS_AT_STARTUP).toBe('false');
      });
    } else {
      it('has no database: waits for nothing but its broker', () => {
        expect(Object.keys(service.depends_on ?? {}).sort()).toEqual(['kafka', 'rabbitmq']);
      });
    }

    it('reaches the broker and database by their service names', () => {
      const kafkaListeners = environment(compose.services.kafka).KAFKA_ADVERTISED_LISTENERS;
      for (const address of env().KAFKA_BROKERS.split(',')) {
        expect(kafkaListeners).toContain(`//${address}`);
      }
      expect(new URL(env().DATABASE_URL).hostname).toBe('postgres');
      expect(new URL(env().RABBITMQ_URL).hostname).toBe('rabbitmq');
    });

    it('binds 0.0.0.0 only together with API keys (CONTRACT: required off loopback), never a placeholder', () => {
      expect(env().HOST).toBe('0.0.0.0');
      expect(env().API_KEYS).toBe('k1,k2');
      // Unset or empty, compose refuses to start anything rather than use a default key.
      expect(() => environment(service, {})).toThrow(/^required variable API_KEYS: set API_KEYS/);
      expect(() => environment(service, { API_KEYS: '' })).toThrow(/required variable API_KEYS/);
    });

    it('passes ADMIN_API_KEYS through; unset leaves /admin/* closed (empty counts as unset)', () => {
      expect(env().ADMIN_API_KEYS).toBe('');
      expect(environment(service, { ...UP_VARS, ADMIN_API_KEYS: 'a1' }).ADMIN_API_KEYS).toBe('a1');
    });

    it('keeps DATA_DIR (spool, buffers) on a named volume of its own', () => {
      expect(env().DATA_DIR).toBe('/data');
      const mounts = (service.volumes ?? []).map((v) =>
        typeof v === 'string' ? v : `${v.source}:${v.target}`,
      );
      const dataMount = mounts.find((m) => m.split(':')[1] === '/data');
      expect(dataMount).toBeDefined();
      const volume = dataMount!.split(':')[0];
      expect(Object.keys(compose.volumes ?? {})).toContain(volume);
      const others = Object.keys(APP_PORTS).filter((a) => a !== app);
      for (const other of others) {
        expect(compose.services[other].volumes ?? []).not.toContain(`${volume}:/data`);
      }
    });
  });

  it('serves the operator console on ingest only, watching every app by service name and port', () => {
    const enabled = Object.keys(APP_PORTS).filter(
      (app) => environment(compose.services[app]).CONSOLE_ENABLED === 'true',
    );
    expect(enabled).toEqual(['ingest']);
    const env = environment(compose.services.ingest);
    const config = consoleConfig.load(env);
    expect(config.CONSOLE_APPS).toEqual(
      Object.entries(APP_PORTS).map(([name, port]) => ({ name, url: `http://${name}:${port}` })),
    );
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8');
  const entrypoint = readFileSync(join(ROOT, 'docker', 'entrypoint.sh'), 'utf8');
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { outDir: string; rootDir: string };
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DEFAULT_PORTS } = require(join(ROOT, 'docker', 'healthcheck.js')) as {
    DEFAULT_PORTS: Record<string, number>;
  };

  it('builds and runs on Node 24 LTS, as the node user, with a healthcheck', () => {
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*healthcheck\.js/m);
    expect(dockerfile).toMatch(/^ARG APP=ingest$/m);
  });

  it('compiles apps/<app>/src/main.ts to the dist/apps/<app>/src/main.js it runs', () => {
    // The entry path is only right while tsc keeps the source layout under dist/.
    expect(tsconfig.compilerOptions.rootDir).toBe('.');
    expect(tsconfig.compilerOptions.outDir.replace(/^\.\//, '')).toBe('dist');
    expect(dockerfile).toContain('dist/apps/${APP}/src/main.js');
    expect(entrypoint).toContain(
      'exec node -r ./scripts/register-paths.js "dist/apps/$app/src/main.js"',
    );
    for (const app of Object.keys(APP_PORTS)) {
      expect(existsSync(join(ROOT, 'apps', app, 'src', 'main.ts'))).toBe(true);
      expect(entrypoint).toMatch(new RegExp(`^\\s*[a-z|-]*\\b${app}\\b[a-z|-]*\\)$`, 'm'));
    }
  });

  it('probes each app on its docs/contract.md port when PORT is unset', () => {
    expect(DEFAULT_PORTS).toEqual(APP_PORTS);
  });
});
