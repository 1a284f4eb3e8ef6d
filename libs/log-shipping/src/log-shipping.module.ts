import {
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_NAME, type ConfigOf } from '@lib/config';
import { ShutdownCoordinator, ShutdownPhase } from '@lib/lifecycle';
import { LogSink, METRICS_REGISTRY, RequestLogSummary, RingLogSink } from '@lib/observability';
import { SPOOLING_PUBLISHER, spoolConfig, SpoolModule, type SpoolingPublisher } from '@lib/spool';
import { join } from 'node:path';
import { Counter, type Registry } from 'prom-client';
import { LogShipper, type LogShipperSettings } from './log-shipper';

/** Name of the shipping spool (metrics label `spool="logs"`, readiness `spool:logs`). */
export const LOG_SPOOL_NAME = 'logs';

/** Default cap of the shipping spool: logs must not take the disk the ingest spool needs. */
export const LOG_SPOOL_MAX_BYTES = 64 * 1024 * 1024;

const LOG_SHIPPER = Symbol('LOG_SHIPPER');
const LOG_SHIPPING_OPTIONS = Symbol('LOG_SHIPPING_OPTIONS');

/** Options of {@link LogShippingModule.register}. */
export interface LogShippingOptions {
  /** Cap of the spool; default {@link LOG_SPOOL_MAX_BYTES}. */
  readonly spoolMaxBytes?: number;
  readonly shipper?: Partial<LogShipperSettings>;
}

/**
 * Ships the app's request, error and slow-query records to `app-logs`: a {@link LogShipper}
 * draining the platform's RingLogSink through its own SpoolingPublisher over the EventPublisher
 * of the app's (global) QueueModule (spool `${DATA_DIR}/spool/logs/<app>`, `drop-oldest`), so
 * that shipping never blocks or fails a request, and a broker outage costs at most the oldest
 * records (counted in `log_records_dropped_total`). Shutdown: a final drain in phase Flush, before the spool closes
 * in CloseBrokers. With `LOG_SHIP=false` the sink is not a ring and nothing is shipped.
 *
 * It lives outside @lib/observability because it needs @lib/queue and @lib/spool, which import
 * @lib/observability (and @lib/platform, which imports it too): it cannot go in either of those.
 */
@Module({})
export class LogShippingModule implements OnApplicationBootstrap {
  private readonly logger: Logger;

  constructor(
    @Inject(LOG_SHIPPER) private readonly shipper: LogShipper | null,
    private readonly coordinator: ShutdownCoordinator,
    @Inject(APP_NAME) appName: string,
    private readonly requestSummary: RequestLogSummary,
  ) {
    this.logger = new Logger(`${appName} log shipping`);
  }

  static register(options: LogShippingOptions = {}): DynamicModule {
    const spool = SpoolModule.registerAsync({
      inject: [spoolConfig.token, APP_NAME],
      useFactory: (config: ConfigOf<typeof spoolConfig>, appName: string) => ({
        name: LOG_SPOOL_NAME,
        // Apps may share DATA_DIR (npm start): one directory per app, since a spool is locked.
        directory: join(config.DATA_DIR, 'spool', LOG_SPOOL_NAME, appName),
        fullPolicy: 'drop-oldest' as const,
        maxBytes: options.spoolMaxBytes ?? LOG_SPOOL_MAX_BYTES,
      }),
    });
    return {
      module: LogShippingModule,
      imports: [spool],
      providers: [
        { provide: LOG_SHIPPING_OPTIONS, useValue: options },
        {
          provide: LOG_SHIPPER,
          inject: [LogSink, SPOOLING_PUBLISHER, APP_NAME, LOG_SHIPPING_OPTIONS, METRICS_REGISTRY],
          useFactory: (
            sink: LogSink,
            publisher: SpoolingPublisher,
            appName: string,
            shippingOptions: LogShippingOptions,
            registry: Registry,
          ) => {
            if (!(sink instanceof RingLogSink)) return null; // LOG_SHIP=false
            const shipper = new LogShipper(
              sink,
              publisher,
              new Logger(`${appName} log shipping`),
              shippingOptions.shipper,
            );
            registerShippingMetrics(registry, shipper, publisher);
            return shipper;
          },
        },
      ],
    };
  }

  onApplicationBootstrap(): void {
    if (!this.shipper) return;
    const shipper = this.shipper;
    shipper.start();
    this.coordinator.register({
      name: 'log shipping (final drain)',
      phase: ShutdownPhase.Flush,
      // Intake has stopped by now: the last summary window is complete, so it ships too.
      run: () => {
        this.requestSummary.stop();
        return shipper.stop();
      },
    });
    this.logger.debug?.('shipping log records to app-logs');
  }
}

function registerShippingMetrics(
  registry: Registry,
  shipper: LogShipper,
  publisher: SpoolingPublisher,
): void {
  const dropped: Counter<'reason'> = new Counter({
    name: 'log_records_dropped_total',
    help: 'Log records lost before reaching the broker: ring overwritten, spool full (drop-oldest), publish refused.',
    labelNames: ['reason'],
    registers: [registry],
    collect: () => {
      dropped.reset();
      const stats = shipper.stats();
      dropped.inc({ reason: 'ring' }, stats.ringDropped);
      dropped.inc({ reason: 'spool' }, publisher.stats().dropped);
      dropped.inc({ reason: 'rejected' }, stats.rejected);
    },
  });
  const shipped: Counter = new Counter({
    name: 'log_records_shipped_total',
    help: 'Log records handed to the app-logs publisher (sent or spooled).',
    registers: [registry],
    collect: () => {
      shipped.reset();
      shipped.inc(shipper.stats().shipped);
    },
  });
}
