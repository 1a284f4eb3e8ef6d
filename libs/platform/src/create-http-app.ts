import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { validateConfigs, type ConfigDefinition, type Env } from '@lib/config';
import { lifecycleConfig, ShutdownCoordinator, ShutdownPhase, StartupStatus } from '@lib/lifecycle';
import {
  createLogger,
  installHttpMetricsHook,
  installHttpTracingHook,
  installRequestLogHook,
  LogRecorder,
  METRICS_REGISTRY,
  observabilityConfig,
  RequestLogSummary,
  startTracing,
  tracingConfig,
} from '@lib/observability';
import type { z } from 'zod';
import { installApiKeyHook } from './api-key.hook';
import { httpConfig } from './http.config';
import { HttpExceptionFilter } from './http-exception.filter';
import { installIntakeGate } from './intake-gate';
import { installRequestIdHook, requestIdFrom } from './request-id.hook';
import { startStartupProbe, type StartupProbe } from './startup-probe';

/** Requests larger than this are answered 413 (docs/contract.md). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** How to build one app instance. */
export interface HttpAppOptions {
  /** The app's name: log prefix, consumer group, metrics. */
  readonly name: string;
  /** Port used when `PORT` is unset. */
  readonly defaultPort: number;
  readonly env: Env;
  /** The app's root module, given the effective environment. */
  readonly module: (env: Env) => DynamicModule;
  /** Config definitions of the app's libs, validated before anything starts. */
  readonly configs?: ReadonlyArray<ConfigDefinition<z.ZodType>>;
  /**
   * Runs in `listen()` once the app is initialised and before it accepts requests, e.g. to
   * connect the app's queue consumers (`connectQueueConsumers`).
   */
  readonly beforeListen?: (app: NestFastifyApplication) => Promise<void>;
}

/** A created (not yet listening) app and the address it will listen on. */
export interface HttpApp {
  readonly name: string;
  readonly app: NestFastifyApplication;
  readonly host: string;
  readonly port: number;
  /** Starts listening; resolves with the URL. */
  listen(): Promise<string>;
}

/**
 * Creates a Nest app on Fastify with the platform's rules: validated config (one line on error),
 * request ids, the API key guard, the contract's error body, a 1 MiB body limit, an intake gate
 * that the shutdown coordinator closes, JSON logs, and request and error log records.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const env: Env = {
    ...options.env,
    PORT: options.env.PORT?.trim() || String(options.defaultPort),
  };
  validateConfigs(env, [
    httpConfig,
    lifecycleConfig,
    observabilityConfig,
    tracingConfig,
    ...(options.configs ?? []),
  ]);
  const http = httpConfig.load(env);
  const { LOG_LEVEL, LOG_FORMAT, SLOW_REQUEST_MS } = observabilityConfig.load(env);

  const adapter = new FastifyAdapter({
    // Path parameters up to 200 characters, percent-encoded (up to 12 bytes each): Fastify's
    // default of 100 would answer 414 to valid ids.
    routerOptions: { maxParamLength: 2_400 },
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestIdFrom,
    requestIdHeader: false,
    logger: false,
    forceCloseConnections: 'idle',
  });
  // The probe opens only once start-up has to wait for a dependency: a normal start is not
  // slowed, and nobody mistakes the probe for the app.
  const startup = new StartupStatus();
  let opening: Promise<StartupProbe> | undefined;
  startup.onFirstWait(() => (opening = startStartupProbe(http.HOST, http.PORT, startup)));
  const probe = { close: async () => (await opening)?.close() };
  // Before the app exists, so that every span of start-up and after goes to the provider.
  const tracing = await startTracing(tracingConfig.load(env), options.name);
  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      withStartupStatus(options.module(env), startup),
      adapter,
      {
        logger: createLogger(LOG_LEVEL, options.name, { format: LOG_FORMAT }),
        abortOnError: false,
        // JSON in and out (the contract): Fastify's own JSON parser stays; Nest would add urlencoded.
        bodyParser: false,
      },
    );
  } catch (error) {
    await probe.close();
    await tracing.release();
    throw error;
  }
  // Last, after the database: spans of the whole shutdown are flushed too.
  app.get(ShutdownCoordinator).register({
    name: 'tracing',
    phase: ShutdownPhase.CloseDatabase,
    run: () => tracing.release(),
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onClose', () => probe.close());
  // Fastify parses text/plain by default; any body that is not JSON is answered 415.
  fastify.removeContentTypeParser('text/plain');
  installHttpTracingHook(fastify);
  installRequestIdHook(fastify);
  installApiKeyHook(fastify, { client: http.API_KEYS, admin: http.ADMIN_API_KEYS });
  installIntakeGate(fastify, app.get(ShutdownCoordinator));
  const recorder = app.get(LogRecorder);
  installRequestLogHook(fastify, recorder, {
    summary: app.get(RequestLogSummary),
    slowRequestMs: SLOW_REQUEST_MS,
    printInfoLines: LOG_LEVEL === 'info' || LOG_LEVEL === 'debug',
  });
  installHttpMetricsHook(fastify, app.get(METRICS_REGISTRY));
  app.useGlobalFilters(new HttpExceptionFilter(recorder));

  return {
    name: options.name,
    app,
    host: http.HOST,
    port: http.PORT,
    async listen() {
      if (options.beforeListen) {
        await app.init();
        await options.beforeListen(app);
      }
      await probe.close();
      await app.listen(http.PORT, http.HOST);
      return `http://${http.HOST.includes(':') ? `[${http.HOST}]` : http.HOST}:${http.PORT}`;
    },
  };
}

@Module({})
class StartupStatusModule {}

/** The app's root module, with `StartupStatus` injectable everywhere (a dependency that holds start-up back reports there). */
function withStartupStatus(root: DynamicModule, startup: StartupStatus): DynamicModule {
  return {
    ...root,
    imports: [
      ...(root.imports ?? []),
      {
        module: StartupStatusModule,
        global: true,
        providers: [{ provide: StartupStatus, useValue: startup }],
        exports: [StartupStatus],
      },
    ],
  };
}
