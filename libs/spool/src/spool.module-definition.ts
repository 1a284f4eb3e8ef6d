import { ConfigurableModuleBuilder, type ModuleMetadata } from '@nestjs/common';
import type { SpoolFullPolicy } from './file-spool.options';
import type { DrainSettings } from './spool-drainer';
import { SPOOL_MODULE_OPTIONS } from './spool.constants';

/** One spool: its name and what it overrides of the environment's configuration. */
export interface SpoolModuleOptions {
  /** Directory `${DATA_DIR}/spool/<name>`, and the name in logs, health and metrics. */
  readonly name: string;
  /** Instead of `${DATA_DIR}/spool/<name>`. */
  readonly directory?: string;
  /** Instead of SPOOL_FULL_POLICY; `drop-oldest` (for log shipping) is only available here. */
  readonly fullPolicy?: SpoolFullPolicy;
  /** Instead of SPOOL_MAX_BYTES. */
  readonly maxBytes?: number;
  readonly drain?: Partial<DrainSettings>;
  /** Close the app's EventPublisher together with the spool (default false: QueueModule does). */
  readonly closeInner?: boolean;
}

/** `imports`: modules that provide EventPublisher when it is not global. */
export interface SpoolModuleExtras {
  readonly imports: NonNullable<ModuleMetadata['imports']>;
}

/** `SpoolModule.register(...)` / `registerAsync(...)`, options under {@link SPOOL_MODULE_OPTIONS}. */
export const {
  ConfigurableModuleClass: SpoolConfigurableModule,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SpoolModuleOptions>({
  optionsInjectionToken: SPOOL_MODULE_OPTIONS,
})
  .setClassMethodName('register')
  .setExtras<SpoolModuleExtras>({ imports: [] }, (definition, extras) => ({
    ...definition,
    imports: [...(definition.imports ?? []), ...extras.imports],
  }))
  .build();
