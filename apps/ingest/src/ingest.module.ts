import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { consoleConfig, ConsoleModule } from '@lib/console';
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
    const spool = SpoolModule.register({ name: 'ingest' });
    return {
      module: IngestModule,
      imports: [
        PlatformModule.forRoot('ingest', env),
        QueueModule.forRoot(queue),
        IntakeModule.register(spool),
        LogShippingModule.register(),
        // The operator console is served by one app only: ingest, when CONSOLE_ENABLED is set.
        ...(consoleConfig.load(env).CONSOLE_ENABLED ? [ConsoleModule.register()] : []),
      ],
    };
  }
}
