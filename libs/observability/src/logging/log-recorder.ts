import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_NAME } from '@lib/config';
import { randomUUID } from 'node:crypto';
import {
  MAX_MESSAGE_CHARS,
  truncate,
  type LogKind,
  type LogRecord,
  type LogRecordInput,
} from './log-record';
import { LogSink } from './log-sink';

type LineLevel = 'debug' | 'log' | 'warn' | 'error' | 'fatal';

const LINE_LEVEL: Record<LogRecord['level'], LineLevel> = {
  debug: 'debug',
  info: 'log',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/**
 * Turns what happened (a request, an error, a slow query) into a {@link LogRecord} of this app,
 * hands it to the {@link LogSink} and writes it as a stdout line. Never throws: a failure to log
 * must not fail the work being logged.
 */
@Injectable()
export class LogRecorder {
  private readonly lines = new Map<LogKind, Logger>();

  constructor(
    @Inject(APP_NAME) readonly service: string,
    private readonly sink: LogSink,
  ) {
    // One context per kind, named after the app: Nest's logger is shared by the apps of a process.
    for (const kind of ['request', 'error', 'query'] as const)
      this.lines.set(kind, new Logger(`${service} ${kind}`));
  }

  /** Records one event of this app; returns the record (undefined if even building it failed). */
  record(input: LogRecordInput, occurredAt: Date = new Date()): LogRecord | undefined {
    let record: LogRecord;
    try {
      record = {
        eventId: randomUUID(),
        service: this.service,
        occurredAt: occurredAt.toISOString(),
        ...input,
        message: truncate(input.message || '(empty)', MAX_MESSAGE_CHARS),
      };
    } catch {
      return undefined;
    }
    try {
      this.sink.write(record);
    } catch {
      // A sink must not throw; if one does anyway the record is lost, not the request.
    }
    try {
      this.writeLine(record);
    } catch {
      // stdout is gone (EPIPE) or a field would not serialise: nothing useful left to do.
    }
    return record;
  }

  /**
   * Writes the stdout line of an event that is not recorded on its own (a request counted in a
   * summary): the same line as {@link record}'s, without an `eventId`. Never throws.
   */
  print(input: LogRecordInput): void {
    try {
      this.writeLine(input);
    } catch {
      // As in record(): nothing useful left to do.
    }
  }

  private writeLine(record: LogRecordInput & { eventId?: string }): void {
    const { kind, level, message, requestId, durationMs, attributes } = record;
    const line = {
      msg: message,
      kind,
      eventId: record.eventId,
      requestId,
      durationMs,
      ...attributes,
    };
    this.lines.get(kind)![LINE_LEVEL[level]](line);
  }
}
