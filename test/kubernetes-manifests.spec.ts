/**
 * deploy/kubernetes rendered as `kubectl apply -k` would (base and every overlay; see
 * test/support/kustomize.ts for the subset implemented, since kustomize is not on the test
 * machines), each object validated against the Kubernetes schemas (kubernetes-models), then
 * cross-checked against the apps: ports, health routes, shutdown timing, Secrets, files, volumes.
 * Every check is also run on a deliberately broken copy to show that it can fail.
 */
import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { lifecycleConfig } from '@lib/lifecycle';
import { createHttpApp, PlatformModule, type HttpApp } from '@lib/platform';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appWorkload,
  containerEnv,
  dataDirProblems,
  disruptionBudgetProblems,
  filePathProblems,
  labelProblems,
  migrationProblems,
  probeProblems,
  referenceProblems,
  securityProblems,
  serviceProblems,
  shutdownProblems,
  type ImageLayout,
  type ProbeExpectations,
} from './support/kubernetes-checks';
import { schemaProblems } from './support/kubernetes-schema';
import {
  applyJsonPatch,
  applyPatch,
  podSpecOf,
  renderKustomization,
  strategicMerge,
  type K8sObject,
} from './support/kustomize';

const ROOT = join(__dirname, '..');
const K8S = join(ROOT, 'deploy', 'kubernetes');
const OVERLAYS = readdirSync(join(K8S, 'overlays')).map((name) => `overlays/${name}`);
const APPS = ['ingest', 'aggregator', 'log-collector', 'pv-counter'] as const;
const DATABASE_APPS = ['aggregator', 'log-collector', 'pv-counter'];
/** Apps whose spool holds accepted events, not only log records: their DATA_DIR must survive the pod. */
const DURABLE_APPS = ['ingest'];

/** The default port each app declares in apps/<app>/src/<app>.app.ts. */
function appPort(app: string): number {
  const source = readFileSync(join(ROOT, 'apps', app, 'src', `${app}.app.ts`), 'utf8');
  const match = /export const [A-Z_]+_DEFAULT_PORT = (\d+);/.exec(source);
  if (!match) throw new Error(`apps/${app}/src/${app}.app.ts declares no *_DEFAULT_PORT`);
  return Number(match[1]);
}

const EXPECTED: ProbeExpectations = {
  ports: Object.fromEntries(APPS.map((app) => [app, appPort(app)])),
  livePath: '/health/live',
  readyPath: '/health/ready',
};

const IMAGE: ImageLayout = {
  hasApp: (name) => existsSync(join(ROOT, 'apps', name, 'src', 'main.ts')),
  hasBuiltFile: (distPath) =>
    existsSync(join(ROOT, distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts'))),
};

const timing = (env: Record<string, string>) => lifecycleConfig.load(env);

/** Every check over one rendered set of objects. */
function allProblems(objects: K8sObject[]): Record<string, string[]> {
  return {
    schema: objects.flatMap(schemaProblems),
    labels: labelProblems(objects),
    probes: probeProblems(objects, EXPECTED),
    shutdown: shutdownProblems(objects, APPS, timing),
    references: referenceProblems(objects),
    files: filePathProblems(objects),
    dataDir: dataDirProblems(objects, APPS, DURABLE_APPS),
    services: serviceProblems(objects),
    security: securityProblems(objects),
    disruptionBudgets: disruptionBudgetProblems(objects, APPS),
    migrations: migrationProblems(objects, APPS, DATABASE_APPS, IMAGE),
  };
}

const NO_PROBLEMS = Object.fromEntries(Object.keys(allProblems([])).map((check) => [check, []]));

describe.each(['base', ...OVERLAYS])('deploy/kubernetes/%s', (target) => {
  const objects = renderKustomization(join(K8S, target));

  it('renders the four apps, their Services and budgets, the Secrets and the migration Job', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'StatefulSet/ingest',
        'Deployment/aggregator',
        'Deployment/log-collector',
        'Deployment/pv-counter',
        'Service/ingest',
        'Service/ingest-headless',
        'Service/aggregator',
        'Service/log-collector',
        'Service/pv-counter',
        'PodDisruptionBudget/ingest',
        'Job/event-pipeline-migrate',
        'Secret/event-pipeline-api-keys',
      ]),
    );
  });

  it('passes every check', () => {
    expect(allProblems(objects)).toEqual(NO_PROBLEMS);
  });

  it('gives every app API keys and admin keys as files', () => {
    for (const app of APPS) {
      const workload = appWorkload(objects, app) as K8sObject;
      const env = containerEnv(objects, workload, podSpecOf(workload)?.containers[0]);
      expect([app, env.get('API_KEYS_FILE'), env.get('ADMIN_API_KEYS_FILE')]).toEqual([
        app,
        expect.any(String),
        expect.any(String),
      ]);
      expect(env.has('API_KEYS')).toBe(false);
    }
  });
});

describe.each(OVERLAYS)('deploy/kubernetes/%s specifics', (target) => {
  const objects = renderKustomization(join(K8S, target));

  it('puts every namespaced object in one namespace that it creates', () => {
    const namespaces = new Set(
      objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata.namespace),
    );
    expect(namespaces.size).toBe(1);
    const [namespace] = namespaces;
    expect(namespace).toEqual(expect.any(String));
    expect(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual([
      namespace,
    ]);
  });

  it('pins one image tag for every container', () => {
    const images = new Set(
      objects.flatMap((o) => (podSpecOf(o)?.containers ?? []).map((c: K8sObject) => c.image)),
    );
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^[^:@]+:[^:@]+$/);
    expect([...images][0]).not.toMatch(/:latest$/);
  });
});

describe('deploy/kubernetes/overlays/example', () => {
  const objects = renderKustomization(join(K8S, 'overlays', 'example'));

  it('connects every app to Kafka over SASL_SSL with the password and CA as files', () => {
    for (const app of APPS) {
      const workload = appWorkload(objects, app) as K8sObject;
      const env = containerEnv(objects, workload, podSpecOf(workload)?.containers[0]);
      expect(
        Object.fromEntries(
          [...env].filter(([name]) => name.startsWith('KAFKA_') || name === 'BROKER'),
        ),
      ).toEqual({
        BROKER: 'kafka',
        KAFKA_BROKERS: expect.stringMatching(/:9093(,|$)/),
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: '/etc/event-pipeline/secrets/kafka-ca.crt',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'event-pipeline',
        KAFKA_SASL_PASSWORD_FILE: '/etc/event-pipeline/secrets/kafka-sasl-password',
      });
    }
  });

  it('sets the replicas and the image of the overlay', () => {
    expect(appWorkload(objects, 'ingest')?.spec.replicas).toBe(3);
    expect(appWorkload(objects, 'aggregator')?.spec.replicas).toBe(2);
    expect(podSpecOf(appWorkload(objects, 'pv-counter') as K8sObject)?.containers[0].image).toBe(
      'registry.example.com/event-pipeline:0.1.0',
    );
  });
});

describe('the probes answer on a real app', () => {
  @Module({})
  class ProbeTargetModule {
    static register(env: Env): DynamicModule {
      return { module: ProbeTargetModule, imports: [PlatformModule.forRoot('probe-target', env)] };
    }
  }
  let created: HttpApp;

  beforeAll(async () => {
    created = await createHttpApp({
      name: 'probe-target',
      defaultPort: 3999,
      env: { LOG_LEVEL: 'error', SHUTDOWN_GRACE_MS: '0' },
      module: (env) => ProbeTargetModule.register(env),
    });
    await created.app.init();
  });

  afterAll(() => created?.app.close());

  it('every probe path of every rendering answers 200, and /metrics answers Prometheus text', async () => {
    const paths = new Set<string>(['/metrics']);
    for (const target of ['base', ...OVERLAYS]) {
      for (const object of renderKustomization(join(K8S, target))) {
        for (const container of podSpecOf(object)?.containers ?? []) {
          for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
            if (container[probe]?.httpGet) paths.add(container[probe].httpGet.path);
          }
        }
      }
    }
    expect([...paths].sort()).toEqual(['/health/live', '/health/ready', '/metrics']);
    for (const url of paths) {
      const response = await created.app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'GET', url });
      expect([url, response.statusCode]).toEqual([url, 200]);
    }
  });
});

describe('each check catches a broken manifest', () => {
  const rendered = renderKustomization(join(K8S, 'overlays', 'example'));
  const copy = () => structuredClone(rendered);
  const get = (objects: K8sObject[], kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject;
  const container = (objects: K8sObject[], app: string) =>
    podSpecOf(appWorkload(objects, app) as K8sObject)?.containers[0];
  const env = (objects: K8sObject[], app: string, name: string) =>
    container(objects, app).env.find((e: K8sObject) => e.name === name);

  it.each<[string, keyof ReturnType<typeof allProblems>, (objects: K8sObject[]) => void, string]>([
    [
      'a misspelt field',
      'schema',
      (o) => (container(o, 'ingest').livenesProbe = {}),
      'livenesProbe: unknown field',
    ],
    [
      'a wrong type',
      'schema',
      (o) => (get(o, 'StatefulSet', 'ingest').spec.replicas = 'three'),
      'StatefulSet/ingest',
    ],
    [
      'a missing label',
      'labels',
      (o) => delete get(o, 'Service', 'pv-counter').metadata.labels['app.kubernetes.io/part-of'],
      'Service/pv-counter: label app.kubernetes.io/part-of missing',
    ],
    [
      'a probe on a route the app lacks',
      'probes',
      (o) => (container(o, 'aggregator').readinessProbe.httpGet.path = '/ready'),
      'readinessProbe path /ready',
    ],
    [
      'a probe on another port',
      'probes',
      (o) => (container(o, 'log-collector').livenessProbe.httpGet.port = 3000),
      'livenessProbe port 3000',
    ],
    [
      'a wrong PORT',
      'probes',
      (o) => (env(o, 'pv-counter', 'PORT').value = '3000'),
      'PORT is not 3003',
    ],
    [
      'a scrape port that is not the app port',
      'probes',
      (o) =>
        (appWorkload(o, 'ingest')!.spec.template.metadata.annotations['prometheus.io/port'] =
          '9090'),
      'prometheus.io/port',
    ],
    [
      'a grace period the shutdown does not fit in',
      'shutdown',
      (o) => (podSpecOf(appWorkload(o, 'ingest')!)!.terminationGracePeriodSeconds = 25),
      'terminationGracePeriodSeconds 25 s',
    ],
    [
      'a longer SHUTDOWN_TIMEOUT_MS',
      'shutdown',
      (o) => (env(o, 'aggregator', 'SHUTDOWN_TIMEOUT_MS').value = '60000'),
      'SHUTDOWN_TIMEOUT_MS 60000',
    ],
    [
      'a preStop wait unlike SHUTDOWN_GRACE_MS',
      'shutdown',
      (o) => (container(o, 'pv-counter').lifecycle.preStop.exec.command = ['sleep', '3']),
      'preStop sleeps 3 s',
    ],
    [
      'SHUTDOWN_GRACE_MS left to its default',
      'shutdown',
      (o) =>
        container(o, 'log-collector').env.splice(
          container(o, 'log-collector').env.findIndex(
            (e: K8sObject) => e.name === 'SHUTDOWN_GRACE_MS',
          ),
          1,
        ),
      'SHUTDOWN_GRACE_MS is not set explicitly',
    ],
    [
      'a Secret key nobody defines',
      'references',
      (o) => delete get(o, 'Secret', 'event-pipeline-api-keys').stringData['admin-api-keys'],
      'has no key admin-api-keys',
    ],
    [
      'a missing Secret',
      'references',
      (o) => o.splice(o.indexOf(get(o, 'Secret', 'event-pipeline-kafka')), 1),
      'Secret event-pipeline-kafka does not exist',
    ],
    [
      'a missing ConfigMap',
      'references',
      (o) => o.splice(o.indexOf(get(o, 'ConfigMap', 'event-pipeline-config')), 1),
      'envFrom ConfigMap event-pipeline-config does not exist',
    ],
    [
      'a *_FILE path outside every mount',
      'files',
      (o) => (env(o, 'ingest', 'API_KEYS_FILE').value = '/run/secrets/api-keys'),
      'API_KEYS_FILE=/run/secrets/api-keys is in no mounted volume',
    ],
    [
      'a *_FILE path to a file the volume lacks',
      'files',
      (o) =>
        (env(o, 'aggregator', 'DATABASE_URL_FILE').value = '/etc/event-pipeline/secrets/database'),
      'has no file database',
    ],
    [
      'a *_FILE path on an emptyDir',
      'files',
      (o) => (env(o, 'aggregator', 'ADMIN_API_KEYS_FILE').value = '/data/admin-api-keys'),
      'is on a writable volume',
    ],
    [
      'ingest DATA_DIR on an emptyDir',
      'dataDir',
      (o) => {
        const ingest = appWorkload(o, 'ingest')!;
        ingest.spec.volumeClaimTemplates = [];
        podSpecOf(ingest)!.volumes.push({ name: 'data', emptyDir: {} });
      },
      'StatefulSet/ingest: DATA_DIR must be on a volumeClaimTemplate',
    ],
    [
      'DATA_DIR not mounted',
      'dataDir',
      (o) => (env(o, 'pv-counter', 'DATA_DIR').value = '/var/data'),
      'DATA_DIR (/var/data) is not a mounted volume',
    ],
    [
      'a Service selecting nothing',
      'services',
      (o) =>
        (get(o, 'Service', 'aggregator').spec.selector['app.kubernetes.io/name'] = 'aggregatr'),
      'Service/aggregator: selects no pods',
    ],
    [
      'a Service on a port the pods lack',
      'services',
      (o) => (get(o, 'Service', 'ingest').spec.ports[0].targetPort = 'metrics'),
      'targetPort metrics',
    ],
    [
      'a writable root filesystem',
      'security',
      (o) => (container(o, 'ingest').securityContext.readOnlyRootFilesystem = false),
      'readOnlyRootFilesystem is not true',
    ],
    [
      'a pod that may run as root',
      'security',
      (o) =>
        delete podSpecOf(get(o, 'Job', 'event-pipeline-migrate'))!.securityContext.runAsNonRoot,
      'Job/event-pipeline-migrate: runAsNonRoot',
    ],
    [
      'a request above its limit',
      'security',
      (o) => (container(o, 'aggregator').resources.requests.memory = '1Gi'),
      'memory request 1Gi exceeds limit',
    ],
    [
      'a missing budget',
      'disruptionBudgets',
      (o) => o.splice(o.indexOf(get(o, 'PodDisruptionBudget', 'log-collector')), 1),
      'Deployment/log-collector: no PodDisruptionBudget',
    ],
    [
      'start-up migrations left on',
      'migrations',
      (o) => (env(o, 'pv-counter', 'MIGRATIONS_AT_STARTUP').value = 'true'),
      'MIGRATIONS_AT_STARTUP is not "false"',
    ],
    [
      'a container running another app',
      'migrations',
      (o) => (container(o, 'aggregator').args = ['ingest']),
      'do not run aggregator',
    ],
    [
      'a migration Job running a file that is not built',
      'migrations',
      (o) =>
        (podSpecOf(get(o, 'Job', 'event-pipeline-migrate'))!.containers[0].args[3] =
          'dist/libs/database/src/cli/migration-run.js'.replace('cli', 'bin')),
      'is not a built file',
    ],
  ])('%s', (_, check, breakIt, expected) => {
    const objects = copy();
    breakIt(objects);
    const problems = allProblems(objects);
    expect(problems[check]).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
    // The unbroken rendering has none (asserted above), so the break alone caused these.
    expect(allProblems(rendered)[check]).toEqual([]);
  });
});

describe('kustomize subset', () => {
  const deployment = (): K8sObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'a', labels: { tier: 'x' } },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'one',
              image: 'img',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'two', image: 'other:1' },
          ],
          volumes: [{ name: 'v', projected: { sources: [{ secret: { name: 's' } }] } }],
        },
      },
    },
  });

  it('merges named list items by name, deletes with null and $patch: delete, and replaces other lists', () => {
    const merged = strategicMerge(deployment(), {
      metadata: { labels: { tier: null, added: 'y' } },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'one',
                env: [
                  { name: 'B', value: '3' },
                  { name: 'C', value: '4' },
                ],
                args: ['x'],
              },
              { name: 'two', $patch: 'delete' },
            ],
          },
        },
      },
    });
    expect(merged.metadata.labels).toEqual({ added: 'y' });
    expect(merged.spec.template.spec.containers).toEqual([
      {
        name: 'one',
        image: 'img',
        args: ['x'],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '3' },
          { name: 'C', value: '4' },
        ],
      },
    ]);
  });

  it('applies JSON 6902 add (with -), replace and remove, and refuses a missing path', () => {
    const patched = applyJsonPatch(deployment(), [
      {
        op: 'add',
        path: '/spec/template/spec/volumes/0/projected/sources/-',
        value: { configMap: { name: 'c' } },
      },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'other:2' },
      { op: 'remove', path: '/metadata/labels/tier' },
      { op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'a' },
    ]);
    expect(patched.spec.template.spec.volumes[0].projected.sources).toEqual([
      { secret: { name: 's' } },
      { configMap: { name: 'c' } },
    ]);
    expect(patched.spec.template.spec.containers[1].image).toBe('other:2');
    expect(patched.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'a' });
    expect(() =>
      applyJsonPatch(deployment(), [
        { op: 'replace', path: '/spec/template/spec/volumes/3', value: {} },
      ]),
    ).toThrow('out of range');
    expect(() =>
      applyJsonPatch(deployment(), [{ op: 'replace', path: '/spec/nothing', value: 1 }]),
    ).toThrow('does not exist');
    expect(() =>
      applyJsonPatch(deployment(), [{ op: 'move', path: '/spec/template', value: 1 }]),
    ).toThrow('unsupported op move');
  });

  it('selects patch targets by kind, name and labels, and refuses a patch that matches nothing', () => {
    const objects = [
      deployment(),
      { ...deployment(), metadata: { name: 'b', labels: { tier: 'y' } } },
    ];
    const patched = applyPatch(
      objects,
      [{ op: 'add', path: '/spec/replicas', value: 2 }],
      { kind: 'Deployment', labelSelector: 'tier=y' },
      'test',
    );
    expect(patched.map((o) => o.spec.replicas)).toEqual([undefined, 2]);
    expect(() => applyPatch(objects, [], { kind: 'StatefulSet' }, 'test')).toThrow(
      'matches no object',
    );
    expect(() =>
      applyPatch(objects, { kind: 'Deployment', metadata: { name: 'c' } }, undefined, 'test'),
    ).toThrow('matches no object');
  });

  it('refuses a kustomization field it does not implement', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ep-kustomize-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), 'resources: []\ncommonLabels:\n  a: b\n');
      expect(() => renderKustomization(dir)).toThrow('unsupported field(s) commonLabels');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
