/** Injection token for the environment ({@link Env}) of the running app instance. */
export const ENV = Symbol('ENV');

/** Injection token for the app's name (`ingest`, `pv-counter`, …): consumer group, log context. */
export const APP_NAME = Symbol('APP_NAME');
