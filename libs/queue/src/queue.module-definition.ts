import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { MemoryBroker } from './memory/memory-broker';

/** Options of `QueueModule.forRoot(...)` / `forRootAsync(...)`. */
export interface QueueModuleOptions {
  /**
   * The in-process broker shared by the apps of one process (`npm start`); only used with
   * `BROKER=memory`. Without it, the app gets a broker of its own.
   */
  readonly memoryBroker?: MemoryBroker;
  /** The consumer group; else `CONSUMER_GROUP`, else the app's name (APP_NAME). */
  readonly group?: string;
  /**
   * The app's in-flight window when `CONSUMER_MAX_IN_FLIGHT` is unset (10 000 if absent), for an
   * app whose flushes get cheaper per event the more they hold (pv-counter).
   */
  readonly defaultMaxInFlight?: number;
}

export const {
  ConfigurableModuleClass: QueueConfigurableModule,
  MODULE_OPTIONS_TOKEN: QUEUE_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<QueueModuleOptions>().setClassMethodName('forRoot').build();
