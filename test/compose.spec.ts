/**
 * docker-compose.yml and docker/Dockerfile agree with CONTRACT.md: each app on its port, healthy
 * only when /health/ready says so, started after its broker and database are healthy, and
 * never listening on 0.0.0.0 without API keys. No Docker engine needed: the files are parsed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
/** CONTRACT.md, "Processes and ports". */
const APP_PORTS: Record<string, number> = {
  ingest: 3000,
  aggregator: 3001,
  'log-collector': 3002,
  'pv-counter': 3003,
};

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Env | string[];
  ports?: Array<string | { published: string | number; target: number }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: Array<string | { type?: string; source?: string; target: string }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** What compose makes of `${VAR:-default}` / `${VAR-default}` when VAR is unset. */
function interpolate(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:?-([^}]*)\}/g, '$1').replace(/\$\{[A-Z0-9_]+\}/g, '');
}

function environment(service: Service): Env {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env)
    ? env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])
    : Object.entries(env);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(String(v))]));
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

function dependsOnHealthy(service: Service, dependency: string): boolean {
  const deps = service.depends_on;
  return !!deps && !Array.isArray(deps) && deps[dependency]?.condition === 'service_healthy';
}

describe('docker-compose.yml', () => {
  // docker compose resolves YAML merge keys (`<<: *app`), so the parser must too.
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as Compose;

  it.each(['kafka', 'rabbitmq', 'postgres'])('gives %s a healthcheck', (name) => {
    const service = compose.services[name];
    expect(service).toBeDefined();
    expect(service.healthcheck?.disable).not.toBe(true);
    expect(healthcheckCommand(service)).not.toBe('');
  });

  it('runs the Kafka version the tests use (3.9, KRaft)', () => {
    expect(compose.services.kafka.image).toBe('apache/kafka:3.9.1');
    expect(environment(compose.services.kafka).KAFKA_PROCESS_ROLES).toBe('broker,controller');
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

    it('starts after its broker and PostgreSQL are healthy', () => {
      const broker = env().BROKER;
      expect(['kafka', 'rabbitmq']).toContain(broker);
      expect(dependsOnHealthy(service, broker)).toBe(true);
      expect(dependsOnHealthy(service, 'postgres')).toBe(true);
    });

    it('reaches the broker and database by their service names', () => {
      const kafkaListeners = environment(compose.services.kafka).KAFKA_ADVERTISED_LISTENERS;
      for (const address of env().KAFKA_BROKERS.split(',')) {
        expect(kafkaListeners).toContain(`//${address}`);
      }
      expect(new URL(env().DATABASE_URL).hostname).toBe('postgres');
      expect(new URL(env().RABBITMQ_URL).hostname).toBe('rabbitmq');
    });

    it('binds 0.0.0.0 only together with API keys (CONTRACT: required off loopback)', () => {
      expect(env().HOST).toBe('0.0.0.0');
      expect(env().API_KEYS?.trim()).toBeTruthy();
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

  it('builds on Node 20, runs as the node user and has a healthcheck', () => {
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
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

  it('probes each app on its CONTRACT.md port when PORT is unset', () => {
    expect(DEFAULT_PORTS).toEqual(APP_PORTS);
  });
});
