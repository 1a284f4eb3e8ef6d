import { Module } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { LogPartitions } from './log-partitions';
import { LogQueryService } from './log-query.service';
import { LogRetentionJob } from './log-retention.job';
import { LogStore } from './log-store';
import { logsConfig } from './logs.config';
import { LogsController } from './logs.controller';

/**
 * Storage and search of log records: `app_logs` day partitions and their retention, the batch
 * insert ({@link LogStore}, for the `app-logs` consumer) and the `/v1/logs` routes.
 */
@Module({
  imports: [DatabaseModule],
  controllers: [LogsController],
  providers: [logsConfig.provider, LogPartitions, LogStore, LogQueryService, LogRetentionJob],
  exports: [LogStore, LogRetentionJob],
})
export class LogsModule {}
