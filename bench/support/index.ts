/** Helpers shared by the benchmarks in bench/. */
export * from './bench-app';
export * from './bench-kafka';
export * from './report';
export * from './consumer-meter';
export * from './bench-database';
