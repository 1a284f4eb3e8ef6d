import { z } from 'zod';
import { ConfigError } from './config.errors';

/** The environment an app instance reads its configuration from. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates `env` against a schema whose keys are variable names.
 * Empty strings count as unset, so `PORT=` falls back to the default rather than failing on "".
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[key] = value.trim();
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue.path[0] ?? '(configuration)');
  throw new ConfigError(variable, cleaned[variable], issue.message);
}
