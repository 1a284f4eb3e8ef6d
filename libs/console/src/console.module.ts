import { Module, type DynamicModule } from '@nestjs/common';
import { ConsoleAccess } from './console-access';
import { ConsoleAdminController } from './console-admin.controller';
import { ConsoleAppsClient } from './console-apps.client';
import { consoleConfig } from './console.config';
import { ConsolePageController } from './console-page.controller';
import { ConsoleSessions } from './console-sessions';

/** The operator console (`/console`): a page over every watched app's `/admin/*` routes. */
@Module({})
export class ConsoleModule {
  /** The console's routes and services; import it in one app only (CONSOLE_ENABLED). */
  static register(): DynamicModule {
    return {
      module: ConsoleModule,
      controllers: [ConsolePageController, ConsoleAdminController],
      providers: [
        consoleConfig.provider,
        ConsoleAccess,
        ConsoleAppsClient,
        { provide: ConsoleSessions, useFactory: () => new ConsoleSessions() },
      ],
    };
  }
}
