export { LogConsumerModule, LOG_COLLECTOR_FLUSH_INTERVAL_MS } from './log-consumer.module';
export { AppLogsConsumer } from './app-logs.consumer';
export { AppLogsQueue, APP_LOGS_QUEUE } from './app-logs.queue';
export { appLogPayload } from './app-log-payload';
