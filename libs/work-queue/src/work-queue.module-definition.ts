import { ConfigurableModuleBuilder } from '@nestjs/common';

/** Options of {@link WorkQueueModule}. */
export interface WorkQueueModuleOptions {
  /** The app's default FLUSH_INTERVAL_MS (docs/contract.md: 15 aggregator, 100 pv-counter and log-collector). */
  readonly defaultFlushIntervalMs: number;
  /** Default of the queues' `trackOffsets`; default: BROKER=kafka. */
  readonly trackOffsets?: boolean;
  /** Between runs of the processed-ids retention; default 10 minutes. */
  readonly retentionIntervalMs?: number;
}

export const {
  ConfigurableModuleClass: WorkQueueConfigurableModule,
  MODULE_OPTIONS_TOKEN: WORK_QUEUE_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<WorkQueueModuleOptions>().setClassMethodName('register').build();
