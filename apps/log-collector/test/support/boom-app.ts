import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { LogShippingModule } from '@lib/log-shipping';
import { createHttpApp, PlatformModule, type HttpApp } from '@lib/platform';
import { queueConfig, QueueModule } from '@lib/queue';
import { spoolConfig } from '@lib/spool';

/** Thrown by `GET /v1/boom/fail`: a 5xx whose error record the test looks for. */
export class BoomError extends Error {}

@Controller('v1/boom')
class BoomController {
  @Get('ok')
  ok(): { ok: true } {
    return { ok: true };
  }

  @Get('fail')
  fail(): never {
    throw new BoomError('boom: the test route failed on purpose');
  }
}

@Module({})
class BoomModule {
  static register(env: Env): DynamicModule {
    return {
      module: BoomModule,
      imports: [
        PlatformModule.forRoot('boom-app', env),
        QueueModule.forRoot({}),
        LogShippingModule.register(),
      ],
      controllers: [BoomController],
    };
  }
}

/** A minimal app with log shipping and a route that throws (no real app has one). */
export function createBoomApp(env: Env): Promise<HttpApp> {
  return createHttpApp({
    name: 'boom-app',
    defaultPort: 0,
    env,
    module: (appEnv) => BoomModule.register(appEnv),
    configs: [queueConfig, spoolConfig],
  });
}
