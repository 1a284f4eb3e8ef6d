import { Logger } from '@nestjs/common';
import { StartupRefusal } from '@lib/config';
import { Writable } from 'node:stream';
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
});
