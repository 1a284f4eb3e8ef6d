import type { DestinationStream } from 'pino';
import { JsonLogger, type LogLevelName } from './logging/json-logger';

// Nest's logger is process-wide: with `npm start` the last app created logs for all four. The
// names of every app in this process let each line be attributed by its context prefix
// (`ingest shutdown`). Append-only, and it mirrors state Nest already keeps globally.
const appsInProcess = new Set<string>();

/**
 * The app's Nest logger: JSON lines on stdout at `level`, each with the app it belongs to
 * (from the logger context `<app> …`, see {@link JsonLogger}).
 */
export function createLogger(
  level: LogLevelName,
  appName: string,
  destination?: DestinationStream,
): JsonLogger {
  appsInProcess.add(appName);
  return new JsonLogger({ level, apps: appsInProcess, destination });
}
