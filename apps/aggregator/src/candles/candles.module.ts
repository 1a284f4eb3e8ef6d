import { Module } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { AggregatorWorkQueueModule } from '../aggregator-work-queue.module';
import { CandlesController } from './candles.controller';
import { CandlesQuery } from './candles.query';
import { CandlesQueue } from './candles.queue';
import { pushConfig } from './push.config';
import { QuoteBook } from './quote-book';
import { QuoteStreamHub } from './quote-stream.hub';
import { QuotesController } from './quotes.controller';
import { TicksConsumer } from './ticks.consumer';

/**
 * Ticks → one-minute candles (consumer, candle queue, upsert) with live quotes: the read API for
 * candles and quotes and the quote stream (SSE).
 */
@Module({
  imports: [DatabaseModule, AggregatorWorkQueueModule],
  controllers: [TicksConsumer, CandlesController, QuotesController],
  providers: [pushConfig.provider, CandlesQueue, CandlesQuery, QuoteBook, QuoteStreamHub],
})
export class CandlesModule {}
