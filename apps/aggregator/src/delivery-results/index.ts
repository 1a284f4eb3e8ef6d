export { DeliveryResultsModule } from './delivery-results.module';
export { DeliveryResultsConsumer } from './delivery-results.consumer';
export { DeliveryResultsQueue, DELIVERY_RESULTS_QUEUE } from './delivery-results.queue';
export {
  DeliveryResultsQuery,
  type DeliveryResult,
  type DeliveryResultsPage,
} from './delivery-results.query';
export { DELIVERY_RESULTS_TABLE } from './delivery-results.writer';
export { deliveryResultPayload, type DeliveryResultPayload } from './delivery-result-payload';
