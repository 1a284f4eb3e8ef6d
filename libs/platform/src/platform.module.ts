import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type Env } from '@lib/config';
import { LifecycleModule } from '@lib/lifecycle';
import { LoggingModule, MetricsModule } from '@lib/observability';

/**
 * What every app has: its environment, the shutdown coordinator, health and metrics routes, and
 * the log recorder (request, error and slow-query records).
 * Apps import it once and add their own feature modules beside it.
 */
@Module({})
export class PlatformModule {
  /** Binds the app's name and environment. */
  static forRoot(appName: string, env: Env): DynamicModule {
    return {
      module: PlatformModule,
      imports: [ConfigModule.forRoot(appName, env), LifecycleModule, MetricsModule, LoggingModule],
      exports: [ConfigModule, LifecycleModule, MetricsModule, LoggingModule],
    };
  }
}
