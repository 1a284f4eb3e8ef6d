import { Logger } from '@nestjs/common';
import { StartupRefusal } from '@lib/config';
import { Writable } from 'node:stream';
import { runInLogContext, type LogContextFields } from '../log-context/log-context';
import { JsonLogger, PROCESS_NAME, type LogLevelName } from './json-logger';

/** A destination that keeps each JSON line pino writes, parsed. */
function lines(): { stream: Writable; parsed: Array<Record<string, unknown>> } {
  const parsed: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        parsed.push(JSON.parse(line));
      done();
    },
  });
  return { stream, parsed };
}

describe('JsonLogger', () => {
  afterEach(() => Logger.overrideLogger(false));

  function install(level: LogLevelName, apps: string[]) {
    const out = lines();
    const logger = new JsonLogger({ level, apps: new Set(apps), destination: out.stream });
    Logger.overrideLogger(logger);
    return out;
  }

  it('writes one JSON line per call with level, time, pid, app, context and msg', () => {
    const out = install('info', ['ingest']);
    new Logger('ingest shutdown').log('shutting down (SIGTERM)');
    expect(out.parsed).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        pid: process.pid,
        app: 'ingest',
        context: 'ingest shutdown',
        msg: 'shutting down (SIGTERM)',
      },
    ]);
  });

  it('attributes each line to the app its context names when apps share the process', () => {
    const out = install('info', ['log-collector', 'pv-counter', 'ingest']);
    new Logger('pv-counter shutdown').warn('slow');
    new Logger('log-collector').log('listening');
    new Logger('InstanceLoader').log('dependencies initialized');
    new Logger('ingest-like thing').log('not an app');
    expect(out.parsed.map((line) => [line.level, line.app, line.context])).toEqual([
      ['warn', 'pv-counter', 'pv-counter shutdown'],
      ['info', 'log-collector', 'log-collector'],
      ['info', PROCESS_NAME, 'InstanceLoader'],
      ['info', PROCESS_NAME, 'ingest-like thing'],
    ]);
  });

  it('attributes a context naming no app to the only app of the process', () => {
    const out = install('info', ['aggregator']);
    new Logger('RoutesResolver').log('mapped');
    expect(out.parsed[0]).toEqual(
      expect.objectContaining({ app: 'aggregator', context: 'RoutesResolver' }),
    );
  });

  it('honours LOG_LEVEL', () => {
    const out = install('warn', ['ingest']);
    const logger = new Logger('ingest x');
    logger.debug('d');
    logger.log('l');
    logger.warn('w');
    logger.error('e');
    expect(out.parsed.map((line) => line.level)).toEqual(['warn', 'error']);

    const verbose = install('debug', ['ingest']);
    new Logger('ingest x').debug('d');
    new Logger('ingest x').verbose('v');
    expect(verbose.parsed.map((line) => line.level)).toEqual(['debug', 'trace']);
  });

  it('puts an error stack into a field of the same line', () => {
    const out = install('info', ['ingest']);
    const error = new Error('boom');
    new Logger('ingest http').error('request failed', error.stack);
    expect(out.parsed).toHaveLength(1);
    expect(out.parsed[0]).toEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'request failed',
        stack: error.stack,
        context: 'ingest http',
      }),
    );
  });

  it('merges the fields of an object message, never overriding its own keys', () => {
    const out = install('info', ['ingest']);
    new Logger('ingest request').log({
      msg: 'GET /v1/x 200',
      status: 200,
      level: 'fatal',
      time: 1,
      app: 'evil',
    });
    expect(out.parsed[0]).toEqual(
      expect.objectContaining({ level: 'info', app: 'ingest', msg: 'GET /v1/x 200', status: 200 }),
    );
    expect(out.parsed[0].time).toEqual(expect.any(String));
  });

  it('takes the app from a service field when the object carries one', () => {
    const out = install('info', ['ingest', 'aggregator']);
    new Logger('work-queue orders').log({ msg: 'flushed', service: 'aggregator' });
    expect(out.parsed[0]).toEqual(
      expect.objectContaining({ app: 'aggregator', context: 'work-queue orders' }),
    );
  });

  it('serialises an Error message with its stack', () => {
    const out = install('info', ['ingest']);
    new Logger('ingest x').warn(new TypeError('bad type'));
    expect(out.parsed[0]).toEqual(
      expect.objectContaining({
        msg: 'bad type',
        error: {
          type: 'TypeError',
          message: 'bad type',
          stack: expect.stringContaining('TypeError: bad type'),
        },
      }),
    );
  });

  it("leaves a start-up refusal to the start-up path's one line, and logs Nest's other failures", () => {
    const out = install('info', ['ingest']);
    new Logger('ExceptionHandler').error(new StartupRefusal('fix the secret'));
    new Logger('ExceptionHandler').error(new Error('a bug'));
    expect(out.parsed.map((line) => line.msg)).toEqual(['a bug']);
  });
  describe('inside a log context', () => {
    const context = (fields: LogContextFields) => ({ fields: jest.fn(() => fields) });

    it("adds the context's ids to lines written by any Logger, also after an await", async () => {
      const out = install('info', ['ingest']);
      const ids = { requestId: 'req-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' };
      await runInLogContext(context(ids), async () => {
        new Logger('Feature').log('before');
        await new Promise((resolve) => setTimeout(resolve, 1));
        new Logger('Feature').warn({ msg: 'after', orderId: 7 });
      });
      expect(out.parsed).toEqual([
        expect.objectContaining({ context: 'Feature', msg: 'before', ...ids }),
        expect.objectContaining({ context: 'Feature', msg: 'after', orderId: 7, ...ids }),
      ]);
    });

    it('writes none of these fields outside a context', async () => {
      const out = install('info', ['ingest']);
      await runInLogContext(context({ eventId: 'e1', requestId: 'r' }), async () => undefined);
      new Logger('Feature').log('outside');
      expect(Object.keys(out.parsed[0]).sort()).toEqual(
        ['app', 'context', 'level', 'msg', 'pid', 'time'].sort(),
      );
    });

    it('gives batch fields, and lets a field of the message win over the context', () => {
      const out = install('info', ['ingest']);
      runInLogContext(context({ firstEventId: 'e1', eventCount: 3, requestId: 'r' }), () => {
        new Logger('Feature').log({ msg: 'given', requestId: 'own', eventId: undefined });
      });
      expect(out.parsed[0]).toEqual(
        expect.objectContaining({ firstEventId: 'e1', eventCount: 3, requestId: 'own' }),
      );
      expect(out.parsed[0]).not.toHaveProperty('eventId');
    });

    it('uses the innermost of nested contexts', () => {
      const out = install('info', ['ingest']);
      runInLogContext(context({ requestId: 'outer' }), () => {
        runInLogContext(context({ eventId: 'inner' }), () => new Logger('F').log('x'));
        new Logger('F').log('y');
      });
      expect(out.parsed.map((line) => [line.requestId, line.eventId])).toEqual([
        [undefined, 'inner'],
        ['outer', undefined],
      ]);
    });

    it('asks for the fields only when a line is written', () => {
      install('warn', ['ingest']);
      const quiet = context({ eventId: 'e1' });
      runInLogContext(quiet, () => new Logger('F').log('filtered out by LOG_LEVEL'));
      expect(quiet.fields).not.toHaveBeenCalled();
    });
  });

  it('writes a human-readable line with the ids in the pretty format', () => {
    const out: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = new JsonLogger({
      level: 'info',
      apps: new Set(['ingest']),
      destination,
      format: 'pretty',
    });
    Logger.overrideLogger(logger);
    runInLogContext({ fields: () => ({ eventId: 'e-42', requestId: 'req-9' }) }, () =>
      new Logger('ingest Feature').log('handled'),
    );
    const text = out.join('');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*\[ingest ingest Feature\] handled\n/);
    expect(text).toContain('eventId: "e-42"');
    expect(text).toContain('requestId: "req-9"');
    expect(() => JSON.parse(text)).toThrow();
  });
});
