import { ConsoleLogger, type LogLevel } from '@nestjs/common';

const LEVELS: Record<string, LogLevel[]> = {
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
  info: ['fatal', 'error', 'warn', 'log'],
  warn: ['fatal', 'error', 'warn'],
  error: ['fatal', 'error'],
};

/**
 * The process's console logger. Nest's logger is process-wide, and apps may share a process
 * (`npm start`), so the app's name goes into each logger's context rather than the prefix.
 */
export function createLogger(level: string): ConsoleLogger {
  return new ConsoleLogger({ prefix: 'event-pipeline', logLevels: LEVELS[level] ?? LEVELS.info, colors: false });
}
