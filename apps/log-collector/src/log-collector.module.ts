import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { PlatformModule } from '@lib/platform';
import { LogShippingModule } from '@lib/log-shipping';
import { QueueModule, type QueueModuleOptions } from '@lib/queue';
import { LogConsumerModule } from './consumer';
import { LogsModule } from './logs';

/** The log-collector app: the platform plus its feature modules. */
@Module({})
export class LogCollectorModule {
  /** Builds the module tree for one app instance and its environment (and the process's shared memory broker, if any). */
  static register(env: Env, queue: Pick<QueueModuleOptions, 'memoryBroker'> = {}): DynamicModule {
    return {
      module: LogCollectorModule,
      imports: [
        PlatformModule.forRoot('log-collector', env),
        DatabaseModule,
        QueueModule.forRoot(queue),
        LogsModule,
        LogConsumerModule,
        LogShippingModule.register(),
      ],
    };
  }
}
