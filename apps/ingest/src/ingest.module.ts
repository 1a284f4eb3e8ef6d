import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { PlatformModule } from '@lib/platform';
import { LogShippingModule } from '@lib/log-shipping';
import { QueueModule, type QueueModuleOptions } from '@lib/queue';
import { SpoolModule } from '@lib/spool';
import { IntakeModule } from './intake/intake.module';

/** The ingest app: the platform, the broker's publisher behind a spool, and the HTTP intake. */
@Module({})
export class IngestModule {
  /** Builds the module tree for one app instance and its environment (and the process's shared memory broker, if any). */
  static register(env: Env, queue: Pick<QueueModuleOptions, 'memoryBroker'> = {}): DynamicModule {
    // One module object shared by both imports, so Nest creates a single broker connection.
    const broker = QueueModule.register(queue);
    const spool = SpoolModule.register({ name: 'ingest', imports: [broker] });
    return {
      module: IngestModule,
      imports: [
        PlatformModule.forRoot('ingest', env),
        broker,
        IntakeModule.register(spool),
        LogShippingModule.register({ queue: broker }),
      ],
    };
  }
}
