/**
 * The TypeORM slow-query logger on a real DataSource (TEST_DATABASE_URL): slow queries become
 * `query` records with the normalised SQL and duration; parameter values and literals never
 * appear, neither in the record nor in the stdout line.
 */
import { Logger } from '@nestjs/common';
import { logInput } from '@lib/contracts';
import { testServices } from '@test/support';
import { DataSource } from 'typeorm';
import { LogRecorder } from './log-recorder';
import { MemoryLogSink } from './memory-log-sink';
import { queryLoggingOptions } from './query-logger';

const SLOW_QUERY_MS = 100;

describe('QueryLogger (TypeORM, real PostgreSQL)', () => {
  let dataSource: DataSource;
  const sink = new MemoryLogSink();
  let lines: unknown[];

  beforeAll(async () => {
    const recorder = new LogRecorder('reports', sink);
    dataSource = new DataSource({
      type: 'postgres',
      url: testServices().databaseUrl,
      poolSize: 2,
      ...queryLoggingOptions(recorder, SLOW_QUERY_MS),
    });
    await dataSource.initialize();
  });

  afterAll(() => dataSource?.destroy());

  beforeEach(() => {
    sink.clear();
    lines = [];
    for (const level of ['log', 'warn', 'error', 'debug'] as const) {
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => void lines.push(args));
    }
  });

  afterEach(() => jest.restoreAllMocks());

  it('records a query slower than SLOW_QUERY_MS with its normalised text and duration', async () => {
    await dataSource.query('SELECT pg_sleep(0.3)');

    expect(sink.records()).toEqual([
      {
        eventId: expect.any(String),
        service: 'reports',
        kind: 'query',
        level: 'warn',
        message: 'SELECT pg_sleep(?)',
        durationMs: expect.any(Number),
        attributes: { parameterCount: 0 },
        occurredAt: expect.any(String),
      },
    ]);
    expect(sink.records()[0].durationMs).toBeGreaterThanOrEqual(290);
    expect(logInput.safeParse(sink.records()[0]).error).toBeUndefined();
    expect(lines).toContainEqual([
      expect.objectContaining({ kind: 'query', msg: 'SELECT pg_sleep(?)' }),
    ]);
  });

  it('never records parameter values or literals of the SQL text', async () => {
    await dataSource.query("SELECT pg_sleep(0.15), $1::text AS secret, 'literal-value' AS inline", [
      'secret-value',
    ]);

    const [record] = sink.records('query');
    expect(record.message).toBe('SELECT pg_sleep(?), ?::text AS secret, ? AS inline');
    expect(record.attributes).toEqual({ parameterCount: 1 });
    const everything = JSON.stringify(sink.records()) + JSON.stringify(lines);
    expect(everything).not.toContain('secret-value');
    expect(everything).not.toContain('literal-value');
  });

  it('leaves fast queries alone', async () => {
    await dataSource.query('SELECT $1::int + 1 AS n', [41]);
    expect(sink.records()).toEqual([]);
  });

  it('does not log the values of a failing query either', async () => {
    await expect(dataSource.query('SELECT $1::int', ['not-a-number-secret'])).rejects.toThrow();
    expect(sink.records()).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain('not-a-number-secret');
  });
});
