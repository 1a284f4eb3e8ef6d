import { Module } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { AggregatorWorkQueueModule } from '../aggregator-work-queue.module';
import { DailySalesQueue } from './daily-sales.queue';
import { OrdersConsumer } from './orders.consumer';

/** The `orders` consumer: validation, the daily sales aggregate queue and its upsert. */
@Module({
  imports: [DatabaseModule, AggregatorWorkQueueModule],
  controllers: [OrdersConsumer],
  providers: [DailySalesQueue],
})
export class SalesModule {}
