import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One-minute candles per symbol (aggregator, ticks → candles): OHLCV, the number of trades, and
 * for the open and the close the rank of the tick that set them (`open_at`/`close_at`, its
 * `occurredAt`, and `open_rank`/`close_rank`, a tie-break string of its `receivedAt` and
 * `eventId`). A flush merges its partial candle with the stored row in SQL: high and low by
 * GREATEST/LEAST, volume and trades added, open and close taken from whichever side has the
 * earlier (open) or later (close) tick. Ticks of one minute may therefore arrive in any order
 * and across any number of flushes. `close_volume` is the volume of the closing tick, so the
 * latest candle's close is the symbol's latest quote.
 *
 * Built for HOT (heap-only tuple) updates: every flush rewrites the current minute's candle of
 * each active symbol. The only index is the primary key, whose columns never change, and
 * `fillfactor = 70` leaves room on each page for the new row versions. Reads go through the
 * primary key: a symbol's range of minutes, and its latest minute for the quote.
 *
 * Ranks compare byte-wise (`COLLATE "C"`), as the app compares them.
 */
export class Candles1795700000000 implements MigrationInterface {
  name = 'Candles1795700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE candles_1m (
        symbol       text        NOT NULL,
        open_time    timestamptz NOT NULL,
        open         numeric     NOT NULL,
        high         numeric     NOT NULL,
        low          numeric     NOT NULL,
        close        numeric     NOT NULL,
        volume       numeric     NOT NULL,
        trades       bigint      NOT NULL,
        open_at      timestamptz NOT NULL,
        open_rank    text        COLLATE "C" NOT NULL,
        close_at     timestamptz NOT NULL,
        close_rank   text        COLLATE "C" NOT NULL,
        close_volume numeric     NOT NULL,
        PRIMARY KEY (symbol, open_time)
      ) WITH (fillfactor = 70)`);
    await runner.query(
      "COMMENT ON TABLE candles_1m IS 'aggregator: 1-minute OHLCV candles per symbol, merged per flush. " +
        "Only the primary key is indexed and fillfactor is 70 so candle updates stay HOT.'",
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE candles_1m');
  }
}
