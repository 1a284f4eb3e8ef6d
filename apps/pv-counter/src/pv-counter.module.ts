import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { PlatformModule } from '@lib/platform';
import { LogShippingModule } from '@lib/log-shipping';
import { QueueModule, type QueueModuleOptions } from '@lib/queue';
import { PageViewsModule } from './page-views';
import { RebuildModule } from './rebuild';

/** The pv-counter app: the platform plus its feature modules. */
@Module({})
export class PvCounterModule {
  /** Builds the module tree for one app instance and its environment (and the process's shared memory broker, if any). */
  static register(env: Env, queue: Pick<QueueModuleOptions, 'memoryBroker'> = {}): DynamicModule {
    // One module object for every import, so Nest creates a single broker connection.
    const broker = QueueModule.register(queue);
    return {
      module: PvCounterModule,
      imports: [
        PlatformModule.forRoot('pv-counter', env),
        DatabaseModule,
        broker,
        PageViewsModule,
        RebuildModule.register({ queue: broker }),
        LogShippingModule.register({ queue: broker }),
      ],
    };
  }
}
