/**
 * The subset of `kustomize build` that deploy/kubernetes uses, for tests on machines without
 * kustomize: `resources` (files and directories), `namespace`, `images`, `replicas` and `patches`
 * (strategic merge, lists of named items merged by `name`; or JSON 6902 with add, replace and
 * remove), with `target` selection by kind, name and label selector. Any other kustomization
 * field throws, so a manifest never relies on something this renderer silently ignores.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/** A rendered Kubernetes object. */
export type K8sObject = Record<string, any>;

interface PatchTarget {
  kind?: string;
  name?: string;
  labelSelector?: string;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  namespace?: string;
  images?: Array<{ name: string; newName?: string; newTag?: string; digest?: string }>;
  replicas?: Array<{ name: string; count: number }>;
  patches?: Array<{ path?: string; patch?: string; target?: PatchTarget }>;
}

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'images',
  'replicas',
  'patches',
]);
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'CustomResourceDefinition',
  'PriorityClass',
]);

/** Renders the kustomization in `dir` (with its bases) into a list of objects. */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = parse(readFileSync(file, 'utf8')) as Kustomization;
  const unknown = Object.keys(kustomization).filter((key) => !SUPPORTED.has(key));
  if (unknown.length > 0) throw new Error(`${file}: unsupported field(s) ${unknown.join(', ')}`);

  let objects: K8sObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = join(dir, resource);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readObjects(path)));
  }
  for (const entry of kustomization.patches ?? []) {
    const text = entry.path ? readFileSync(join(dir, entry.path), 'utf8') : entry.patch;
    if (text === undefined) throw new Error(`${file}: a patch needs path or patch`);
    objects = applyPatch(
      objects,
      parse(text),
      entry.target,
      `${file} patch ${entry.path ?? '(inline)'}`,
    );
  }
  for (const image of kustomization.images ?? [])
    objects.forEach((object) => setImage(object, image));
  for (const { name, count } of kustomization.replicas ?? []) {
    const scaled = objects.filter(
      (o) =>
        ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(o.kind) && o.metadata?.name === name,
    );
    if (scaled.length === 0)
      throw new Error(`${file}: replicas names ${name}, which is no workload`);
    for (const object of scaled) object.spec.replicas = count;
  }
  if (kustomization.namespace) {
    for (const object of objects) {
      if (!CLUSTER_SCOPED.has(object.kind))
        object.metadata = { ...object.metadata, namespace: kustomization.namespace };
    }
  }
  assertUnique(objects, file);
  return objects;
}

/** Every document of a YAML file, empty ones skipped. */
export function readObjects(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0].message}`);
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

/** Applies one patch (a strategic-merge object or a JSON 6902 operation list) to its targets. */
export function applyPatch(
  objects: K8sObject[],
  patch: unknown,
  target: PatchTarget | undefined,
  where: string,
): K8sObject[] {
  const matches = (object: K8sObject): boolean => {
    if (target) return matchesTarget(object, target);
    const own = patch as K8sObject;
    return object.kind === own.kind && object.metadata?.name === own.metadata?.name;
  };
  if (!objects.some(matches)) throw new Error(`${where}: matches no object`);
  return objects.map((object) => {
    if (!matches(object)) return object;
    if (Array.isArray(patch)) return applyJsonPatch(object, patch, where);
    return strategicMerge(object, patch as K8sObject);
  });
}

function matchesTarget(object: K8sObject, target: PatchTarget): boolean {
  const anchored = (pattern: string, value: unknown) =>
    typeof value === 'string' && new RegExp(`^(?:${pattern})$`).test(value);
  if (target.kind && !anchored(target.kind, object.kind)) return false;
  if (target.name && !anchored(target.name, object.metadata?.name)) return false;
  if (target.labelSelector) {
    const labels = object.metadata?.labels ?? {};
    for (const term of target.labelSelector.split(',')) {
      const [key, value] = term.split('=').map((part) => part.trim());
      if (labels[key] !== value) return false;
    }
  }
  return true;
}

/**
 * Strategic merge: maps merge key by key (`null` deletes), lists whose items all carry `name`
 * merge item by item (`$patch: delete` removes one), other lists are replaced.
 */
export function strategicMerge(base: any, patch: any): any {
  if (Array.isArray(patch)) {
    const named = (list: unknown[]) =>
      list.every((item) => isMap(item) && typeof item.name === 'string');
    if (!Array.isArray(base) || !named(patch) || !named(base)) return structuredClone(patch);
    const merged = base.map((item) => structuredClone(item));
    for (const item of patch) {
      const index = merged.findIndex((existing) => existing.name === item.name);
      if (item.$patch === 'delete') {
        if (index >= 0) merged.splice(index, 1);
      } else if (index >= 0) {
        merged[index] = strategicMerge(merged[index], item);
      } else {
        merged.push(structuredClone(item));
      }
    }
    return merged;
  }
  if (!isMap(patch) || !isMap(base)) return structuredClone(patch);
  const merged: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = key in merged ? strategicMerge(merged[key], value) : structuredClone(value);
  }
  return merged;
}

/** JSON 6902 (RFC 6902) `add`, `replace` and `remove`; any other operation throws. */
export function applyJsonPatch(
  object: K8sObject,
  operations: Array<{ op: string; path: string; value?: unknown }>,
  where = 'patch',
): K8sObject {
  const result = structuredClone(object);
  for (const { op, path, value } of operations) {
    const tokens = path
      .split('/')
      .slice(1)
      .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop();
    if (last === undefined)
      throw new Error(`${where}: ${op} of the whole document is not supported`);
    let parent: any = result;
    for (const token of tokens) {
      parent = parent?.[Array.isArray(parent) ? Number(token) : token];
      if (parent === undefined || parent === null)
        throw new Error(`${where}: ${path} does not exist in ${describe(object)}`);
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (
        !Number.isInteger(index) ||
        index < 0 ||
        index > parent.length ||
        (op !== 'add' && index >= parent.length)
      ) {
        throw new Error(`${where}: ${path} is out of range in ${describe(object)}`);
      }
      if (op === 'add') parent.splice(index, 0, structuredClone(value));
      else if (op === 'replace') parent[index] = structuredClone(value);
      else if (op === 'remove') parent.splice(index, 1);
      else throw new Error(`${where}: unsupported op ${op}`);
    } else if (isMap(parent)) {
      if (op !== 'add' && !(last in parent))
        throw new Error(`${where}: ${path} does not exist in ${describe(object)}`);
      if (op === 'add' || op === 'replace') parent[last] = structuredClone(value);
      else if (op === 'remove') delete parent[last];
      else throw new Error(`${where}: unsupported op ${op}`);
    } else {
      throw new Error(`${where}: ${path} does not exist in ${describe(object)}`);
    }
  }
  return result;
}

/** The pod spec of a workload (Deployment, StatefulSet, Job, …), if it has one. */
export function podSpecOf(object: K8sObject): K8sObject | undefined {
  return object.spec?.template?.spec;
}

/** `Kind/name` for messages. */
export function describe(object: K8sObject): string {
  return `${object.kind}/${object.metadata?.name}`;
}

function setImage(
  object: K8sObject,
  image: { name: string; newName?: string; newTag?: string; digest?: string },
): void {
  const pod = podSpecOf(object);
  for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
    const match = /^(.*?)(?::([^:/@]+))?(?:@(.+))?$/.exec(container.image ?? '');
    if (!match || match[1] !== image.name) continue;
    const name = image.newName ?? match[1];
    if (image.digest) container.image = `${name}@${image.digest}`;
    else if (image.newTag ?? match[2]) container.image = `${name}:${image.newTag ?? match[2]}`;
    else container.image = name;
  }
}

function assertUnique(objects: K8sObject[], file: string): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
    if (seen.has(id)) throw new Error(`${file}: ${describe(object)} is defined twice`);
    seen.add(id);
  }
}

function isMap(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
