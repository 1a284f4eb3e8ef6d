/** Helpers for tests and benchmarks that run against real Kafka, RabbitMQ and PostgreSQL. */
export * from './app-process';
export * from './bad-input';
export * from './databases';
export * from './free-port';
export * from './kafka';
export * from './reachability';
export * from './services';
export * from './tcp-proxy';
export * from './tls-certificates';
