import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_NAME, ENV } from './config.constants';
import type { Env } from './parse-config';

/**
 * Provides the app instance's environment. Global and free of resources, so being destroyed last
 * (as Nest does with global modules) costs nothing.
 */
@Global()
@Module({})
export class ConfigModule {
  /** Binds the app's name and the environment this app instance reads. */
  static forRoot(appName: string, env: Env = process.env): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: ENV, useValue: env },
        { provide: APP_NAME, useValue: appName },
      ],
      exports: [ENV, APP_NAME],
    };
  }
}
