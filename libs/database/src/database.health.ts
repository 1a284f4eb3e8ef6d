import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { describeDatabaseError } from './database-rejection';

const PROBE_TIMEOUT_MS = 1_000;

/**
 * Readiness of the database: a `SELECT 1` through the pool, bounded by a short timeout; a TLS
 * rejection is reported as such (`TLS: certificate verify failed (…)`).
 */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly dataSource: DataSource,
  ) {}

  async check() {
    const indicator = this.health.check('database');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
            PROBE_TIMEOUT_MS,
          );
        }),
      ]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: describeDatabaseError(error) });
    } finally {
      clearTimeout(timer);
    }
  }
}
