/**
 * Validates Kubernetes objects with kubernetes-models: its JSON-schema validators (types, required
 * fields, enums, formats) and, since those allow any extra field, a walk of the object along the
 * package's TypeScript declarations that reports fields the API does not have (a misspelt
 * `livenesProbe` would otherwise pass here and be rejected by `kubectl apply`'s strict validation).
 */
import { dirname, join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './kustomize';

/** The models the manifests may use, by `apiVersion/kind`, as module paths of kubernetes-models. */
const MODELS: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'apps/v1/StatefulSet': 'kubernetes-models/apps/v1/StatefulSet',
  'batch/v1/Job': 'kubernetes-models/batch/v1/Job',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
};

let program: { checker: ts.TypeChecker; types: Map<string, ts.Type> } | undefined;

/** Type-checks the models' declarations once (a few seconds) and keeps each kind's root type. */
function declarations(): { checker: ts.TypeChecker; types: Map<string, ts.Type> } {
  if (program) return program;
  const files = new Map(
    Object.entries(MODELS).map(([key, module]) => {
      const js = require.resolve(module);
      return [key, join(dirname(js), `${module.split('/').pop()}.d.ts`)];
    }),
  );
  const created = ts.createProgram([...files.values()], {
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = created.getTypeChecker();
  const types = new Map<string, ts.Type>();
  for (const [key, file] of files) {
    const kind = key.split('/').pop();
    const source = created.getSourceFile(file);
    const declaration = source?.statements.find(
      (statement): statement is ts.InterfaceDeclaration =>
        ts.isInterfaceDeclaration(statement) && statement.name.text === `I${kind}`,
    );
    if (!declaration) throw new Error(`kubernetes-models: interface I${kind} not found in ${file}`);
    types.set(key, checker.getTypeAtLocation(declaration.name));
  }
  program = { checker, types };
  return program;
}

/** Every problem with `object`: an unknown kind, a schema violation or a field the API does not have. */
export function schemaProblems(object: K8sObject): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const module = MODELS[key];
  const name = `${object.kind}/${object.metadata?.name}`;
  if (!module) return [`${name}: no schema for ${key}`];
  const problems: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Model = require(module)[object.kind];
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${name}: ${(error as Error).message}`);
  }
  const { checker, types } = declarations();
  collectUnknownFields(checker, object, types.get(key) as ts.Type, name, problems);
  return problems;
}

function collectUnknownFields(
  checker: ts.TypeChecker,
  value: unknown,
  declared: ts.Type,
  path: string,
  problems: string[],
): void {
  const type = objectMember(checker, declared);
  if (!type || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const element = type.getNumberIndexType();
    if (element)
      value.forEach((item, index) =>
        collectUnknownFields(checker, item, element, `${path}[${index}]`, problems),
      );
    return;
  }
  const index = type.getStringIndexType();
  for (const [field, child] of Object.entries(value)) {
    const property = type.getProperty(field);
    const declaration = property?.valueDeclaration ?? property?.declarations?.[0];
    if (property && declaration) {
      collectUnknownFields(
        checker,
        child,
        checker.getTypeOfSymbolAtLocation(property, declaration),
        `${path}.${field}`,
        problems,
      );
    } else if (index) {
      collectUnknownFields(checker, child, index, `${path}.${field}`, problems);
    } else {
      problems.push(`${path}.${field}: unknown field`);
    }
  }
}

/** The object type within a declared type (`T | undefined` → `T`); none for primitives and mixed unions. */
function objectMember(checker: ts.TypeChecker, declared: ts.Type): ts.Type | undefined {
  const type = checker.getNonNullableType(declared);
  const candidates = type.isUnion()
    ? type.types.filter((member) => member.flags & ts.TypeFlags.Object)
    : [type];
  if (candidates.length !== 1 || !(candidates[0].flags & ts.TypeFlags.Object)) return undefined;
  return candidates[0];
}
