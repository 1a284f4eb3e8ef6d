export { CandlesModule } from './candles.module';
export { CandlesQueue, CANDLES_QUEUE } from './candles.queue';
export { QuoteBook, type Quote } from './quote-book';
export { QuoteStreamHub } from './quote-stream.hub';
export { pushConfig } from './push.config';
export { CANDLES_TABLE } from './candles.writer';
