import type { OpenDatabase } from '@lib/database';
import { openTestDatabase, query } from '../../test/work-queue.fixtures';
import { unnestUpsert } from './unnest-upsert';

interface Candle {
  symbol: string;
  minute: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  tags: object | null;
}

const upsertCandles = unnestUpsert<Candle>({
  table: 'public.candles',
  columns: [
    { name: 'symbol', type: 'text', value: (c) => c.symbol },
    { name: 'minute', type: 'timestamptz', value: (c) => c.minute },
    { name: 'open', type: 'numeric', value: (c) => c.open },
    { name: 'high', type: 'numeric', value: (c) => c.high },
    { name: 'low', type: 'numeric', value: (c) => c.low },
    { name: 'close', type: 'numeric', value: (c) => c.close },
    { name: 'volume', type: 'bigint', value: (c) => c.volume },
    { name: 'tags', type: 'jsonb', value: (c) => c.tags },
  ],
  conflict: ['symbol', 'minute'],
  update: {
    high: 'greatest',
    low: 'least',
    close: 'replace',
    volume: 'add',
    tags: (current, incoming) =>
      `COALESCE(${current}, '{}'::jsonb) || COALESCE(${incoming}, '{}'::jsonb)`,
  },
});

describe('unnestUpsert', () => {
  it('builds one statement with one typed array per column, whatever the batch size', () => {
    expect(upsertCandles.text).toBe(
      'INSERT INTO "public"."candles" ("symbol", "minute", "open", "high", "low", "close", "volume", "tags") ' +
        'SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[], $8::jsonb[]) ' +
        'AS u("symbol", "minute", "open", "high", "low", "close", "volume", "tags") ' +
        'ON CONFLICT ("symbol", "minute") DO UPDATE SET "high" = GREATEST("public"."candles"."high", EXCLUDED."high"), ' +
        '"low" = LEAST("public"."candles"."low", EXCLUDED."low"), "close" = EXCLUDED."close", ' +
        '"volume" = "public"."candles"."volume" + EXCLUDED."volume", ' +
        `"tags" = COALESCE("public"."candles"."tags", '{}'::jsonb) || COALESCE(EXCLUDED."tags", '{}'::jsonb)`,
    );
    const c = {
      symbol: 'A',
      minute: 'm',
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      volume: 10,
      tags: null,
    };
    expect(upsertCandles.values([c, { ...c, symbol: 'B' }])).toEqual([
      ['A', 'B'],
      ['m', 'm'],
      [1, 1],
      [2, 2],
      [0.5, 0.5],
      [1.5, 1.5],
      [10, 10],
      [null, null],
    ]);
  });

  it('refuses identifiers and types that could smuggle SQL in', () => {
    const column = { name: 'a', type: 'text', value: () => 1 };
    expect(() => unnestUpsert({ table: 't; DROP TABLE x', columns: [column] })).toThrow(
      /identifier/,
    );
    expect(() => unnestUpsert({ table: 't', columns: [{ ...column, name: 'a"b' }] })).toThrow(
      /identifier/,
    );
    expect(() =>
      unnestUpsert({ table: 't', columns: [{ ...column, type: 'text[]); DROP TABLE x; --' }] }),
    ).toThrow(/type/);
    expect(() => unnestUpsert({ table: 't', columns: [column], update: { a: 'add' } })).toThrow(
      /conflict/,
    );
    expect(() =>
      unnestUpsert({ table: 't', columns: [column], conflict: ['a'], update: { b: 'add' } }),
    ).toThrow(/not a column/);
  });

  it('builds DO NOTHING without updates and a plain insert without conflict', () => {
    const column = { name: 'a', type: 'int', value: (n: number) => n };
    expect(unnestUpsert({ table: 't', columns: [column], conflict: ['a'] }).text).toMatch(
      /ON CONFLICT \("a"\) DO NOTHING$/,
    );
    expect(unnestUpsert({ table: 't', columns: [column] }).text).not.toMatch(/CONFLICT/);
  });

  describe('against PostgreSQL', () => {
    let database: OpenDatabase;
    let url: string;

    beforeAll(async () => {
      ({ database, url } = await openTestDatabase('unnest_upsert'));
      await database.dataSource.query(`
        CREATE TABLE candles (
          symbol text, minute timestamptz, open numeric, high numeric, low numeric, close numeric,
          volume bigint, tags jsonb, PRIMARY KEY (symbol, minute))`);
    });

    afterAll(() => database.close());

    it('inserts new rows and merges existing ones column by column', async () => {
      const minute = '2026-01-01T10:00:00Z';
      const runner = database.dataSource.createQueryRunner();
      try {
        await upsertCandles.run(runner, [
          {
            symbol: 'ACME',
            minute,
            open: 10,
            high: 11,
            low: 9,
            close: 10.5,
            volume: 100,
            tags: { a: 1 },
          },
          { symbol: "O'HARA", minute, open: 1, high: 1, low: 1, close: 1, volume: 1, tags: null },
        ]);
        await upsertCandles.run(runner, [
          {
            symbol: 'ACME',
            minute,
            open: 99,
            high: 12,
            low: 9.5,
            close: 11.25,
            volume: 50,
            tags: { b: 'x"y' },
          },
        ]);
        await upsertCandles.run(runner, []);
      } finally {
        await runner.release();
      }
      const rows = await query(
        url,
        'SELECT symbol, open::float, high::float, low::float, close::float, volume::int, tags FROM candles ORDER BY symbol',
      );
      expect(rows).toEqual([
        {
          symbol: 'ACME',
          open: 10,
          high: 12,
          low: 9,
          close: 11.25,
          volume: 150,
          tags: { a: 1, b: 'x"y' },
        },
        { symbol: "O'HARA", open: 1, high: 1, low: 1, close: 1, volume: 1, tags: null },
      ]);
    });
  });
});
