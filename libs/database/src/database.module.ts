import { Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import {
  ReadinessRegistry,
  ShutdownCoordinator,
  ShutdownPhase,
  StartupStatus,
} from '@lib/lifecycle';
import { QUERY_LOGGING } from '@lib/observability';
import { DataSource } from 'typeorm';
import { databaseConfig } from './database.config';
import type { QueryLoggingSettings } from './data-source-options';
import { OPEN_DATABASE } from './database.constants';
import { DatabaseHealthIndicator } from './database.health';
import type { OpenDatabase } from './open-database';
import { openDatabaseRetrying } from './open-database-retrying';

/**
 * The app's DataSource (migrated at start-up) and its readiness check. The database is closed by
 * the shutdown coordinator in its last phase, after consumers have flushed.
 */
@Module({
  providers: [
    databaseConfig.provider,
    {
      provide: OPEN_DATABASE,
      // Slow queries are recorded when the app has the logging module (PlatformModule brings it).
      useFactory: (
        config: ConfigOf<typeof databaseConfig>,
        queryLogging?: QueryLoggingSettings,
        startup?: StartupStatus,
      ) => openDatabaseRetrying(config, queryLogging, { logger: new Logger('database'), startup }),
      inject: [
        databaseConfig.token,
        { token: QUERY_LOGGING, optional: true },
        { token: StartupStatus, optional: true },
      ],
    },
    {
      provide: DataSource,
      useFactory: (db: OpenDatabase) => db.dataSource,
      inject: [OPEN_DATABASE],
    },
    DatabaseHealthIndicator,
  ],
  exports: [DataSource, OPEN_DATABASE],
})
export class DatabaseModule implements OnModuleInit {
  constructor(
    @Inject(OPEN_DATABASE) private readonly database: OpenDatabase,
    private readonly indicator: DatabaseHealthIndicator,
    private readonly readiness: ReadinessRegistry,
    private readonly coordinator: ShutdownCoordinator,
  ) {}

  onModuleInit(): void {
    this.readiness.register('database', () => this.indicator.check());
    this.coordinator.register({
      name: 'database',
      phase: ShutdownPhase.CloseDatabase,
      run: () => this.database.close(),
    });
  }
}
