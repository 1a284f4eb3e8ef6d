/**
 * Apps started in this process for the admin-route tests (status, offset reset): each with a data
 * dir and port of its own and an admin key, in throwaway databases, all closed and removed by
 * {@link AdminTestApps.close}.
 */
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import type { MemoryBroker } from '@lib/queue';
import {
  createThrowawayDatabase,
  dropDatabase,
  freeTcpPort,
  testServices,
  uniqueName,
} from '@test/support';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestApp } from '../../../ingest/src/ingest.app';
import { createPvCounterApp } from '../../src/pv-counter.app';

/** What creates an app (`createPvCounterApp`, `createIngestApp`). */
export type CreateApp = (env: Env, extra?: { memoryBroker?: MemoryBroker }) => Promise<HttpApp>;

/** Starts apps with an admin key and cleans up after them. */
export class AdminTestApps {
  private readonly apps: HttpApp[] = [];
  private readonly dirs: string[] = [];
  private readonly databases: string[] = [];

  constructor(readonly adminKey: string) {}

  /** A throwaway database, dropped by {@link close}. */
  async database(name: string): Promise<string> {
    const url = await createThrowawayDatabase(name);
    this.databases.push(url);
    return url;
  }

  /** Starts an app on a free port with `env` over the defaults; resolves with its URL. */
  async start(create: CreateApp, env: Env, memoryBroker?: MemoryBroker): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ep-admin-'));
    this.dirs.push(dir);
    const app = await create(
      {
        DATA_DIR: dir,
        PORT: String(await freeTcpPort()),
        LOG_LEVEL: 'error',
        ADMIN_API_KEYS: this.adminKey,
        SHUTDOWN_GRACE_MS: '0',
        ...env,
      },
      memoryBroker ? { memoryBroker } : undefined,
    );
    this.apps.push(app);
    return app.listen();
  }

  /**
   * pv-counter (a consumer group of its own, a throwaway database) and an ingest in front of it,
   * both on the test Kafka broker.
   */
  async startKafkaPair(
    database: string,
  ): Promise<{ counter: string; ingest: string; group: string; databaseUrl: string }> {
    const kafka = { BROKER: 'kafka', KAFKA_BROKERS: testServices().kafkaBrokers };
    const databaseUrl = await this.database(database);
    const group = uniqueName('pv-counter');
    const counter = await this.start(createPvCounterApp, {
      ...kafka,
      DATABASE_URL: databaseUrl,
      CONSUMER_GROUP: group,
    });
    const ingest = await this.start(createIngestApp, kafka);
    return { counter, ingest, group, databaseUrl };
  }

  /** Closes the apps (last started first), then removes their dirs and databases. */
  async close(): Promise<void> {
    for (const app of this.apps.reverse()) await app.app.close().catch(() => undefined);
    for (const dir of this.dirs) await rm(dir, { recursive: true, force: true });
    for (const url of this.databases) await dropDatabase(url).catch(() => undefined);
  }
}
