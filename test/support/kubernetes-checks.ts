/**
 * Cross-reference checks over rendered Kubernetes objects (deploy/kubernetes): each returns the
 * problems it finds as one line each, so a test can assert none, and that a broken copy has some.
 */
import { describe, podSpecOf, type K8sObject } from './kustomize';

/** The labels every object carries (the Kubernetes recommended labels). */
export const RECOMMENDED_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
] as const;

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job'];

/** Deployments, StatefulSets and Jobs. */
export function workloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter((object) => WORKLOAD_KINDS.includes(object.kind));
}

/** The Deployment or StatefulSet of `app` (by its `app.kubernetes.io/name` label). */
export function appWorkload(objects: K8sObject[], app: string): K8sObject | undefined {
  return objects.find(
    (object) =>
      ['Deployment', 'StatefulSet'].includes(object.kind) &&
      object.metadata?.labels?.['app.kubernetes.io/name'] === app,
  );
}

function find(
  objects: K8sObject[],
  kind: string,
  name: string,
  namespace: string | undefined,
): K8sObject | undefined {
  return objects.find(
    (object) =>
      object.kind === kind &&
      object.metadata?.name === name &&
      object.metadata?.namespace === namespace,
  );
}

function containersOf(object: K8sObject): K8sObject[] {
  const pod = podSpecOf(object);
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

/**
 * A container's environment as the app sees it: ConfigMap `envFrom` first, then `env` (values
 * from a Secret or a field are `undefined`: known to be set, but not here).
 */
export function containerEnv(
  objects: K8sObject[],
  workload: K8sObject,
  container: K8sObject,
): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    const configMap = name
      ? find(objects, 'ConfigMap', name, workload.metadata?.namespace)
      : undefined;
    for (const [key, value] of Object.entries(configMap?.data ?? {}))
      env.set(`${source.prefix ?? ''}${key}`, String(value));
  }
  for (const variable of container.env ?? [])
    env.set(variable.name, variable.valueFrom ? undefined : String(variable.value ?? ''));
  return env;
}

function selectorMatches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** Every object, pod template and claim template carries the recommended labels; selectors match their templates. */
export function labelProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const missing = (labels: Record<string, string> | undefined, where: string) => {
    for (const label of RECOMMENDED_LABELS)
      if (!labels?.[label]) problems.push(`${where}: label ${label} missing`);
  };
  for (const object of objects) {
    missing(object.metadata?.labels, describe(object));
    if (!WORKLOAD_KINDS.includes(object.kind)) continue;
    missing(object.spec?.template?.metadata?.labels, `${describe(object)} pod template`);
    for (const claim of object.spec?.volumeClaimTemplates ?? [])
      missing(claim.metadata?.labels, `${describe(object)} claim ${claim.metadata?.name}`);
    if (
      object.kind !== 'Job' &&
      !selectorMatches(object.spec?.selector?.matchLabels, object.spec?.template?.metadata?.labels)
    ) {
      problems.push(`${describe(object)}: selector does not match its pod template`);
    }
  }
  return problems;
}

/** Where the probes and metrics of each app must point. */
export interface ProbeExpectations {
  /** The app's HTTP port by app name. */
  readonly ports: Readonly<Record<string, number>>;
  readonly livePath: string;
  readonly readyPath: string;
}

/** Each app has a workload whose port, probes and Prometheus annotations are on its own port and routes. */
export function probeProblems(objects: K8sObject[], expected: ProbeExpectations): string[] {
  const problems: string[] = [];
  for (const [app, port] of Object.entries(expected.ports)) {
    const workload = appWorkload(objects, app);
    if (!workload) {
      problems.push(`${app}: no Deployment or StatefulSet`);
      continue;
    }
    const where = describe(workload);
    const container = podSpecOf(workload)?.containers?.find((c: K8sObject) => c.name === app);
    if (!container) {
      problems.push(`${where}: no container named ${app}`);
      continue;
    }
    const resolvePort = (value: unknown) =>
      typeof value === 'number'
        ? value
        : container.ports?.find((p: K8sObject) => p.name === value)?.containerPort;
    if (resolvePort('http') !== port) problems.push(`${where}: port http is not ${port}`);
    if (containerEnv(objects, workload, container).get('PORT') !== String(port))
      problems.push(`${where}: PORT is not ${port}`);
    const probes: Array<[string, string, boolean]> = [
      ['livenessProbe', expected.livePath, true],
      ['readinessProbe', expected.readyPath, true],
      ['startupProbe', expected.livePath, false],
    ];
    for (const [probeName, path, required] of probes) {
      const probe = container[probeName];
      if (!probe) {
        if (required) problems.push(`${where}: no ${probeName}`);
        continue;
      }
      if (probe.httpGet?.path !== path)
        problems.push(`${where}: ${probeName} path ${probe.httpGet?.path} is not ${path}`);
      if (resolvePort(probe.httpGet?.port) !== port)
        problems.push(`${where}: ${probeName} port ${probe.httpGet?.port} is not ${port}`);
    }
    const annotations = workload.spec?.template?.metadata?.annotations ?? {};
    if (annotations['prometheus.io/scrape'] !== 'true')
      problems.push(`${where}: prometheus.io/scrape is not "true"`);
    if (annotations['prometheus.io/port'] !== String(port))
      problems.push(`${where}: prometheus.io/port is not ${port}`);
    if (annotations['prometheus.io/path'] !== '/metrics')
      problems.push(`${where}: prometheus.io/path is not /metrics`);
  }
  return problems;
}

/** Shutdown timing of one container's environment, as the app would read it. */
export type ShutdownTiming = (env: Record<string, string>) => {
  SHUTDOWN_GRACE_MS: number;
  SHUTDOWN_TIMEOUT_MS: number;
};

/**
 * The kubelet waits long enough (preStop + the app's whole shutdown) before SIGKILL, the preStop
 * wait equals SHUTDOWN_GRACE_MS, and both variables are set explicitly.
 */
export function shutdownProblems(
  objects: K8sObject[],
  apps: readonly string[],
  timing: ShutdownTiming,
): string[] {
  const problems: string[] = [];
  for (const app of apps) {
    const workload = appWorkload(objects, app);
    const container =
      workload && podSpecOf(workload)?.containers?.find((c: K8sObject) => c.name === app);
    if (!workload || !container) continue; // probeProblems reports it
    const where = describe(workload);
    const env = containerEnv(objects, workload, container);
    for (const name of ['SHUTDOWN_GRACE_MS', 'SHUTDOWN_TIMEOUT_MS']) {
      if (env.get(name) === undefined) problems.push(`${where}: ${name} is not set explicitly`);
    }
    const { SHUTDOWN_GRACE_MS, SHUTDOWN_TIMEOUT_MS } = timing(
      Object.fromEntries(
        [...env].filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
    );
    const graceSeconds = podSpecOf(workload)?.terminationGracePeriodSeconds ?? 30;
    if (graceSeconds * 1000 <= SHUTDOWN_TIMEOUT_MS + SHUTDOWN_GRACE_MS) {
      problems.push(
        `${where}: terminationGracePeriodSeconds ${graceSeconds} s is not above SHUTDOWN_TIMEOUT_MS ${SHUTDOWN_TIMEOUT_MS} + SHUTDOWN_GRACE_MS ${SHUTDOWN_GRACE_MS} ms`,
      );
    }
    const preStop = container.lifecycle?.preStop;
    const command: unknown[] | undefined = preStop?.exec?.command;
    const sleepSeconds =
      preStop?.sleep?.seconds ??
      (command && command.length === 2 && /(^|\/)sleep$/.test(String(command[0]))
        ? Number(command[1])
        : undefined);
    if (sleepSeconds === undefined) problems.push(`${where}: no preStop sleep`);
    else if (sleepSeconds * 1000 !== SHUTDOWN_GRACE_MS) {
      problems.push(
        `${where}: preStop sleeps ${sleepSeconds} s, SHUTDOWN_GRACE_MS is ${SHUTDOWN_GRACE_MS} ms`,
      );
    }
  }
  return problems;
}

/** The file names a Secret or ConfigMap volume source provides, or a problem if the object or a key is missing. */
function sourceFiles(
  objects: K8sObject[],
  kind: 'Secret' | 'ConfigMap',
  source: K8sObject,
  namespace: string | undefined,
  where: string,
  problems: string[],
): string[] {
  const name = kind === 'Secret' ? (source.secretName ?? source.name) : source.name;
  const object = find(objects, kind, name, namespace);
  if (!object) {
    if (!source.optional) problems.push(`${where}: ${kind} ${name} does not exist`);
    return [];
  }
  const keys = Object.keys({ ...object.data, ...object.stringData, ...object.binaryData });
  if (!source.items) return keys;
  for (const item of source.items) {
    if (!keys.includes(item.key)) problems.push(`${where}: ${kind} ${name} has no key ${item.key}`);
  }
  return source.items.map((item: K8sObject) => item.path);
}

/** The files each volume of a pod provides: `undefined` for a writable volume (emptyDir, claim). */
function volumeFiles(
  objects: K8sObject[],
  workload: K8sObject,
  problems: string[],
): Map<string, string[] | undefined> {
  const namespace = workload.metadata?.namespace;
  const files = new Map<string, string[] | undefined>();
  for (const volume of podSpecOf(workload)?.volumes ?? []) {
    const where = `${describe(workload)} volume ${volume.name}`;
    if (volume.secret)
      files.set(
        volume.name,
        sourceFiles(objects, 'Secret', volume.secret, namespace, where, problems),
      );
    else if (volume.configMap)
      files.set(
        volume.name,
        sourceFiles(objects, 'ConfigMap', volume.configMap, namespace, where, problems),
      );
    else if (volume.projected) {
      const names: string[] = [];
      for (const source of volume.projected.sources ?? []) {
        if (source.secret)
          names.push(...sourceFiles(objects, 'Secret', source.secret, namespace, where, problems));
        if (source.configMap)
          names.push(
            ...sourceFiles(objects, 'ConfigMap', source.configMap, namespace, where, problems),
          );
      }
      files.set(volume.name, names);
    } else files.set(volume.name, undefined);
  }
  for (const claim of workload.spec?.volumeClaimTemplates ?? [])
    files.set(claim.metadata?.name, undefined);
  return files;
}

/** Every Secret and ConfigMap (and key) that env, envFrom and volumes name exists in the output. */
export function referenceProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    const namespace = workload.metadata?.namespace;
    volumeFiles(objects, workload, problems);
    for (const container of containersOf(workload)) {
      const where = `${describe(workload)} container ${container.name}`;
      for (const source of container.envFrom ?? []) {
        const [kind, ref] = source.secretRef
          ? ['Secret', source.secretRef]
          : ['ConfigMap', source.configMapRef];
        if (!ref.optional && !find(objects, kind, ref.name, namespace))
          problems.push(`${where}: envFrom ${kind} ${ref.name} does not exist`);
      }
      for (const variable of container.env ?? []) {
        const [kind, ref] = variable.valueFrom?.secretKeyRef
          ? ['Secret', variable.valueFrom.secretKeyRef]
          : variable.valueFrom?.configMapKeyRef
            ? ['ConfigMap', variable.valueFrom.configMapKeyRef]
            : [undefined, undefined];
        if (!kind || ref.optional) continue;
        const object = find(objects, kind, ref.name, namespace);
        const keys = Object.keys({ ...object?.data, ...object?.stringData });
        if (!object)
          problems.push(
            `${where}: ${variable.name} names ${kind} ${ref.name}, which does not exist`,
          );
        else if (!keys.includes(ref.key))
          problems.push(
            `${where}: ${variable.name} names key ${ref.key} of ${kind} ${ref.name}, which it lacks`,
          );
      }
    }
  }
  return problems;
}

/** Every `*_FILE` variable names a file that a mounted Secret or ConfigMap volume provides. */
export function filePathProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    const files = volumeFiles(objects, workload, []);
    for (const container of containersOf(workload)) {
      const where = `${describe(workload)} container ${container.name}`;
      for (const [name, path] of containerEnv(objects, workload, container)) {
        if (!name.endsWith('_FILE') || path === undefined) continue;
        const mount = (container.volumeMounts ?? [])
          .filter((m: K8sObject) => path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
          .sort((a: K8sObject, b: K8sObject) => b.mountPath.length - a.mountPath.length)[0];
        if (!mount) {
          problems.push(`${where}: ${name}=${path} is in no mounted volume`);
          continue;
        }
        const provided = files.get(mount.name);
        const relative = path.slice(mount.mountPath.replace(/\/$/, '').length + 1);
        if (!files.has(mount.name))
          problems.push(`${where}: ${name}: volume ${mount.name} does not exist`);
        else if (provided === undefined)
          problems.push(
            `${where}: ${name}=${path} is on a writable volume, not a Secret or ConfigMap`,
          );
        else if (!provided.includes(relative))
          problems.push(`${where}: ${name}=${path}: volume ${mount.name} has no file ${relative}`);
      }
    }
  }
  return problems;
}

/** Every app's DATA_DIR is a mounted volume; `durableApps` have it on a claim of their StatefulSet. */
export function dataDirProblems(
  objects: K8sObject[],
  apps: readonly string[],
  durableApps: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const app of apps) {
    const workload = appWorkload(objects, app);
    const container =
      workload && podSpecOf(workload)?.containers?.find((c: K8sObject) => c.name === app);
    if (!workload || !container) continue;
    const where = describe(workload);
    const dataDir = containerEnv(objects, workload, container).get('DATA_DIR');
    const mount = container.volumeMounts?.find(
      (m: K8sObject) => m.mountPath.replace(/\/$/, '') === dataDir?.replace(/\/$/, ''),
    );
    if (!dataDir || !mount) {
      problems.push(`${where}: DATA_DIR (${dataDir}) is not a mounted volume`);
      continue;
    }
    const onClaim = (workload.spec?.volumeClaimTemplates ?? []).some(
      (claim: K8sObject) => claim.metadata?.name === mount.name,
    );
    const podVolume = (podSpecOf(workload)?.volumes ?? []).some(
      (volume: K8sObject) => volume.name === mount.name,
    );
    if (durableApps.includes(app) && (workload.kind !== 'StatefulSet' || !onClaim || podVolume)) {
      problems.push(`${where}: DATA_DIR must be on a volumeClaimTemplate of a StatefulSet`);
    } else if (!onClaim && !podVolume) {
      problems.push(`${where}: DATA_DIR volume ${mount.name} does not exist`);
    }
  }
  return problems;
}

/** Every Service selects the pods of some workload in its namespace, on ports those pods have. */
export function serviceProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const service of objects.filter((object) => object.kind === 'Service')) {
    const pods = workloads(objects).filter(
      (workload) =>
        workload.metadata?.namespace === service.metadata?.namespace &&
        selectorMatches(service.spec?.selector, workload.spec?.template?.metadata?.labels),
    );
    if (pods.length === 0) {
      problems.push(`${describe(service)}: selects no pods`);
      continue;
    }
    for (const port of service.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      const served = pods.every((workload) =>
        containersOf(workload).some((c) =>
          (c.ports ?? []).some((p: K8sObject) => p.name === target || p.containerPort === target),
        ),
      );
      if (!served)
        problems.push(
          `${describe(service)}: targetPort ${target} is not a port of the selected pods`,
        );
    }
  }
  for (const statefulSet of objects.filter((object) => object.kind === 'StatefulSet')) {
    const governing = find(
      objects,
      'Service',
      statefulSet.spec?.serviceName,
      statefulSet.metadata?.namespace,
    );
    if (governing?.spec?.clusterIP !== 'None')
      problems.push(`${describe(statefulSet)}: serviceName does not name a headless Service`);
  }
  return problems;
}

/** Bytes of a Kubernetes quantity (`512Mi`, `1Gi`, `100M`, `1`), for comparing requests and limits. */
export function quantity(value: string | number): number {
  const match = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(value));
  if (!match) return NaN;
  const factor: Record<string, number> = {
    m: 1e-3,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(match[1]) * (match[2] ? factor[match[2]] : 1);
}

/** Pods run as non-root with a read-only root (and /tmp mounted), and every container has requests and limits. */
export function securityProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    const pod = podSpecOf(workload);
    if (pod?.securityContext?.runAsNonRoot !== true)
      problems.push(`${describe(workload)}: runAsNonRoot is not true`);
    for (const container of containersOf(workload)) {
      const where = `${describe(workload)} container ${container.name}`;
      const context = container.securityContext ?? {};
      if (context.readOnlyRootFilesystem !== true)
        problems.push(`${where}: readOnlyRootFilesystem is not true`);
      if (context.allowPrivilegeEscalation !== false)
        problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (!(container.volumeMounts ?? []).some((m: K8sObject) => m.mountPath === '/tmp'))
        problems.push(`${where}: /tmp is not mounted`);
      for (const resource of ['cpu', 'memory']) {
        const request = container.resources?.requests?.[resource];
        const limit = container.resources?.limits?.[resource];
        if (request === undefined || limit === undefined)
          problems.push(`${where}: ${resource} request or limit missing`);
        else if (!(quantity(request) <= quantity(limit)))
          problems.push(`${where}: ${resource} request ${request} exceeds limit ${limit}`);
      }
    }
  }
  return problems;
}

/** Every app workload is covered by a PodDisruptionBudget in its namespace. */
export function disruptionBudgetProblems(objects: K8sObject[], apps: readonly string[]): string[] {
  const problems: string[] = [];
  for (const app of apps) {
    const workload = appWorkload(objects, app);
    if (!workload) continue;
    const covered = objects.some(
      (object) =>
        object.kind === 'PodDisruptionBudget' &&
        object.metadata?.namespace === workload.metadata?.namespace &&
        selectorMatches(
          object.spec?.selector?.matchLabels,
          workload.spec?.template?.metadata?.labels,
        ),
    );
    if (!covered) problems.push(`${describe(workload)}: no PodDisruptionBudget selects its pods`);
  }
  return problems;
}

/** What the image runs: the app named as its argument, or a command such as the migration CLI. */
export interface ImageLayout {
  /** True when the built app `name` exists (apps/<name>/src/main.ts). */
  readonly hasApp: (name: string) => boolean;
  /** True when a built file exists (dist/x.js → its source x.ts). */
  readonly hasBuiltFile: (distPath: string) => boolean;
}

/**
 * Each app container runs its own app; a Job runs the migration CLI on the database; the apps that
 * use the database leave migrations to it (MIGRATIONS_AT_STARTUP=false).
 */
export function migrationProblems(
  objects: K8sObject[],
  apps: readonly string[],
  databaseApps: readonly string[],
  image: ImageLayout,
): string[] {
  const problems: string[] = [];
  for (const app of apps) {
    const workload = appWorkload(objects, app);
    const container =
      workload && podSpecOf(workload)?.containers?.find((c: K8sObject) => c.name === app);
    if (!workload || !container) continue;
    const args: string[] = container.args ?? [];
    if (args.length !== 1 || args[0] !== app || !image.hasApp(app))
      problems.push(`${describe(workload)}: args ${JSON.stringify(args)} do not run ${app}`);
    if (
      databaseApps.includes(app) &&
      containerEnv(objects, workload, container).get('MIGRATIONS_AT_STARTUP') !== 'false'
    ) {
      problems.push(`${describe(workload)}: MIGRATIONS_AT_STARTUP is not "false"`);
    }
  }
  const migrations = objects.filter(
    (object) =>
      object.kind === 'Job' &&
      containersOf(object).some((c) =>
        (c.args ?? []).some((arg: string) => arg.endsWith('migration-run.js')),
      ),
  );
  if (migrations.length !== 1)
    problems.push(`expected one migration Job, found ${migrations.length}`);
  for (const job of migrations) {
    for (const container of containersOf(job)) {
      const script = (container.args ?? []).find((arg: string) => arg.startsWith('dist/'));
      if (!script || !image.hasBuiltFile(script))
        problems.push(`${describe(job)}: ${script} is not a built file of the repository`);
      const env = containerEnv(objects, job, container);
      if (!env.has('DATABASE_URL') && !env.has('DATABASE_URL_FILE'))
        problems.push(`${describe(job)}: no DATABASE_URL or DATABASE_URL_FILE`);
    }
  }
  return problems;
}
