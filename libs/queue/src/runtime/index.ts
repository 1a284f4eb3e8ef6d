/**
 * The broker-independent consumer runtime the transports share (internal to libs/queue):
 *
 * - {@link QueueServer}: base class of every transport (a Nest custom transport strategy).
 * - {@link bindingsOf}: `@EventPattern` handlers and their decorator options → {@link ConsumerBinding}s.
 * - {@link invokeHandler} / {@link QueueContext} / {@link PassThroughRpcFilter}: calling a handler
 *   and getting its original error back.
 * - {@link toIncomingEvent} / {@link encodeMessage} / {@link decodeHeaders}: the envelope;
 *   {@link DeliveredEvents}: the metadata of delivered events, read through the context.
 * - {@link KeyedScheduler}: per-key order with N keys in parallel.
 * - {@link OffsetTracker}: the committable offset of a partition (contiguous finished prefix).
 * - {@link FailureHandler} + {@link FailureSink}: retry vs dead letter and the docs/contract.md headers;
 *   the broker part only publishes.
 * - {@link PartitionPipeline}: all of the above for one partition or queue consumer, and
 *   redeliveries; {@link RecordPipeline} (one record per call) or {@link BatchPipeline} (`@Batch`).
 * - {@link LogConsumer}: pipelines, in-flight window, named pause reasons ({@link PartitionState}),
 *   due retries, redelivery by rewinding, and commits ({@link OffsetCommitter}) for log brokers.
 */
export * from './consumer-binding';
export * from './consumer-metrics';
export * from './envelope';
export * from './delivered-events';
export * from './failure-handler';
export * from './handler-invoker';
export * from './keyed-scheduler';
export * from './log-consumer';
export * from './log-routes';
export * from './offset-tracker';
export * from './partition-pipeline';
export * from './batch-pipeline';
export * from './record-pipeline';
export * from './partition-state';
export * from './offset-committer';
export * from './queue-server';
export * from './dead-letter-view';
