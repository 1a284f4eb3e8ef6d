import type { DestinationStream } from 'pino';
import pinoPretty from 'pino-pretty';

/** `LOG_FORMAT` values: `auto` is pretty on a terminal outside production, JSON otherwise. */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** What {@link resolveLogFormat} looks at besides the setting. */
export interface LogFormatSurroundings {
  readonly isTTY: boolean;
  readonly production: boolean;
}

/** The format lines are written in: `pretty` or `json`. */
export function resolveLogFormat(
  format: LogFormat,
  surroundings: LogFormatSurroundings = {
    isTTY: process.stdout.isTTY === true,
    production: process.env.NODE_ENV === 'production',
  },
): 'pretty' | 'json' {
  if (format !== 'auto') return format;
  return surroundings.isTTY && !surroundings.production ? 'pretty' : 'json';
}

/**
 * A pino destination printing each line for a person: time, level, `[app context]`, message, then
 * the other fields (ids included) indented below. In-process and synchronous, so that lines keep
 * their order with anything else the process prints.
 */
export function prettyDestination(
  destination: DestinationStream | NodeJS.WritableStream = process.stdout,
  colorize = process.stdout.isTTY === true,
): DestinationStream {
  return pinoPretty({
    destination,
    sync: true,
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,app,context',
    messageFormat: '[{app}{if context} {context}{end}] {msg}',
  });
}
