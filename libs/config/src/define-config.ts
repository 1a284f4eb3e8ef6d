import type { FactoryProvider } from '@nestjs/common';
import type { z } from 'zod';
import { ENV } from './config.constants';
import { parseConfig, type Env } from './parse-config';

/** A lib's configuration: its schema, an injection token and the provider that validates it. */
export interface ConfigDefinition<S extends z.ZodType> {
  readonly name: string;
  readonly token: symbol;
  readonly schema: S;
  readonly provider: FactoryProvider<z.infer<S>>;
  /** Validates this configuration against an environment (throws ConfigError). */
  load(env: Env): z.infer<S>;
}

/** Declares one lib's configuration so that it is validated once and injected typed. */
export function defineConfig<S extends z.ZodType>(name: string, schema: S): ConfigDefinition<S> {
  const token = Symbol(`${name}Config`);
  const load = (env: Env) => parseConfig(schema, env);
  return {
    name,
    token,
    schema,
    load,
    provider: { provide: token, useFactory: load, inject: [ENV] },
  };
}

/** The typed value of a configuration definition, for constructor parameters. */
export type ConfigOf<D> = D extends ConfigDefinition<infer S> ? z.infer<S> : never;

/** Validates several definitions up front, so a bad variable stops start-up before anything opens. */
export function validateConfigs(
  env: Env,
  definitions: ReadonlyArray<ConfigDefinition<z.ZodType>>,
): void {
  for (const definition of definitions) definition.load(env);
}
