export { LogsModule } from './logs.module';
export { logsConfig } from './logs.config';
export { LogStore } from './log-store';
export type { StorableLog } from './log-rows';
export { LogRetentionJob, type RetentionResult } from './log-retention.job';
export {
  LogQueryService,
  type LogItem,
  type LogPage,
  type SlowQueryItem,
} from './log-query.service';
