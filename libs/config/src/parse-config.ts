import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './config.errors';

/** The environment an app instance reads its configuration from. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The suffix of a variable naming a file that holds another variable's value (Docker and Kubernetes secrets). */
export const FILE_SUFFIX = '_FILE';

/**
 * Validates `env` against a schema whose keys are variable names.
 * Empty strings count as unset, so `PORT=` falls back to the default rather than failing on "".
 * Any variable `X` of the schema may instead be given as `X_FILE`, the path of a file whose
 * trimmed content is the value; setting both is an error.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[key] = value.trim();
  }
  const fromFile = new Map<string, string>();
  for (const variable of variablesOf(schema)) {
    const path = cleaned[`${variable}${FILE_SUFFIX}`];
    if (path === undefined) continue;
    if (cleaned[variable] !== undefined) {
      throw new ConfigError(
        variable,
        undefined,
        `set either ${variable} or ${variable}${FILE_SUFFIX}, not both`,
        '(set)',
      );
    }
    cleaned[variable] = readValueFile(`${variable}${FILE_SUFFIX}`, path);
    fromFile.set(variable, path);
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue.path[0] ?? '(configuration)');
  const file = fromFile.get(variable);
  if (file !== undefined) {
    throw new ConfigError(
      variable,
      undefined,
      issue.message,
      `(read from ${JSON.stringify(file)})`,
    );
  }
  throw new ConfigError(variable, cleaned[variable], issue.message);
}

function readValueFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(variable, path, `cannot read the file (${code})`);
  }
}

/** The variable names an object schema declares, looking through refinements and transforms. */
function variablesOf(schema: z.ZodType): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  if (shape) return Object.keys(shape);
  const inner = (schema as unknown as { _zod?: { def?: { in?: z.ZodType } } })._zod?.def?.in;
  return inner ? variablesOf(inner) : [];
}
