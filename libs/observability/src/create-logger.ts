import type { DestinationStream } from 'pino';
import { JsonLogger, type LogLevelName } from './logging/json-logger';
import type { LogFormat } from './logging/log-format';

// Nest's logger is process-wide: with `npm start` the last app created logs for all four. The
// names of every app in this process let each line be attributed by its context prefix
// (`ingest shutdown`). Append-only, and it mirrors state Nest already keeps globally.
const appsInProcess = new Set<string>();

/** Where and how {@link createLogger} writes. */
export interface CreateLoggerOptions {
  /** Default: process.stdout. */
  readonly destination?: DestinationStream;
  /** `LOG_FORMAT`; default `auto` (pretty on a terminal outside production). */
  readonly format?: LogFormat;
}

/**
 * The app's Nest logger: lines on stdout at `level`, each with the app it belongs to (from the
 * logger context `<app> …`, see {@link JsonLogger}) and the ids of the request or event it was
 * written for; JSON unless `format` asks for (or `auto` picks) the human-readable form.
 */
export function createLogger(
  level: LogLevelName,
  appName: string,
  options: CreateLoggerOptions = {},
): JsonLogger {
  appsInProcess.add(appName);
  return new JsonLogger({
    level,
    apps: appsInProcess,
    destination: options.destination,
    format: options.format ?? 'auto',
  });
}
