import { Module } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { AggregatorWorkQueueModule } from '../aggregator-work-queue.module';
import { DeliveryResultsConsumer } from './delivery-results.consumer';
import { DeliveryResultsController } from './delivery-results.controller';
import { DeliveryResultsQuery } from './delivery-results.query';
import { DeliveryResultsQueue } from './delivery-results.queue';

/** The `delivery-results` consumer (validation, append queue, insert) and the read API. */
@Module({
  imports: [DatabaseModule, AggregatorWorkQueueModule],
  controllers: [DeliveryResultsConsumer, DeliveryResultsController],
  providers: [DeliveryResultsQueue, DeliveryResultsQuery],
})
export class DeliveryResultsModule {}
