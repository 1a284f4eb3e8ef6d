import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { isStartupRefusal } from '@lib/config';
import pino, { type DestinationStream, type Logger as Pino } from 'pino';
import { currentLogFields } from '../log-context/log-context';
import { prettyDestination, type LogFormat, resolveLogFormat } from './log-format';

/** `LOG_LEVEL` values. */
export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

/** The Nest levels each `LOG_LEVEL` lets through. */
const NEST_LEVELS: Record<LogLevelName, LogLevel[]> = {
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
  info: ['fatal', 'error', 'warn', 'log'],
  warn: ['fatal', 'error', 'warn'],
  error: ['fatal', 'error'],
};

const PINO_LEVEL: Record<LogLevel, pino.Level> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** Keys pino writes itself; object messages must not repeat them in the same line. */
const RESERVED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'app', 'context']);

/** What a line is attributed to when the process runs several apps and the context names none. */
export const PROCESS_NAME = 'event-pipeline';

/** Options of {@link JsonLogger}. */
export interface JsonLoggerOptions {
  readonly level: LogLevelName;
  /** Names of the apps in this process; a context `<app>` or `<app> <part>` attributes a line. */
  readonly apps: ReadonlySet<string>;
  /** Default: process.stdout. */
  readonly destination?: DestinationStream;
  /** Default `json`; `pretty` prints for a person, `auto` decides by terminal and NODE_ENV. */
  readonly format?: LogFormat;
}

/**
 * Nest's LoggerService writing one JSON line per call through pino:
 * `{"level":"info","time":"…","pid":1,"app":"ingest","context":"ingest shutdown","msg":"…"}`.
 * It extends ConsoleLogger only to reuse Nest's argument rules (context last, stack detection)
 * and level filtering; printing is pino's. Object messages add their fields to the line, and a
 * line written inside a log context (an HTTP request, a consumed event) carries its ids
 * (`requestId`, `traceId`, `eventId` or `firstEventId` and `eventCount`).
 */
export class JsonLogger extends ConsoleLogger {
  private readonly pino: Pino;
  private readonly apps: ReadonlySet<string>;

  constructor(options: JsonLoggerOptions) {
    super({ logLevels: NEST_LEVELS[options.level] ?? NEST_LEVELS.info });
    this.apps = options.apps;
    const destination = options.destination ?? process.stdout;
    this.pino = pino(
      {
        level: 'trace', // Nest has filtered already
        base: { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      resolveLogFormat(options.format ?? 'json') === 'pretty'
        ? prettyDestination(destination)
        : destination,
    );
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    _stream?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    // Nest reports a provider's failure here before rethrowing it; a refusal is printed as its
    // one line by the start-up path, and a stack would only bury it.
    if (context === 'ExceptionHandler' && messages.some(isStartupRefusal)) return;
    const fields: Record<string, unknown> = {};
    const texts: string[] = [];
    for (const message of messages) collect(message, fields, texts);
    if (typeof errorStack === 'string' && errorStack) fields.stack = errorStack;
    // The message's own fields win over the context's (a request record names its request).
    const line = {
      app: this.appOf(context, fields),
      context: context || undefined,
      ...currentLogFields(),
      ...fields,
    };
    this.pino[PINO_LEVEL[logLevel]](line, texts.join(' '));
  }

  protected override printStackTrace(): void {
    // The stack is a field of the line printMessages wrote.
  }

  /** The app a line belongs to: a `service` field, else the app its context names. */
  private appOf(context: string, fields: Record<string, unknown>): string {
    if (typeof fields.service === 'string') return fields.service;
    for (const app of this.apps) {
      if (context === app || context.startsWith(`${app} `)) return app;
    }
    // Nest's own contexts (InstanceLoader, …) name no app; alone in the process it is ours.
    return this.apps.size === 1 ? this.apps.values().next().value! : PROCESS_NAME;
  }
}

/** Adds one Nest message argument to the line: text to `msg`, object fields to the line. */
function collect(message: unknown, fields: Record<string, unknown>, texts: string[]): void {
  if (message instanceof Error) {
    texts.push(message.message);
    fields.error = { type: message.name, message: message.message, stack: message.stack };
  } else if (message !== null && typeof message === 'object' && !Array.isArray(message)) {
    for (const [key, value] of Object.entries(message)) {
      if (key === 'msg' || key === 'message') texts.push(String(value));
      // An undefined field would only hide the context's value of the same key.
      else if (value !== undefined && !RESERVED.has(key)) fields[key] = value;
    }
  } else if (message !== undefined) {
    texts.push(typeof message === 'string' ? message : safeStringify(message));
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
