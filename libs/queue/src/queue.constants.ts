/** Injection token of the app's queue transport (a {@link QueueServer}), for `connectMicroservice`. */
export const QUEUE_TRANSPORT = Symbol('QUEUE_TRANSPORT');

/** Injection token of the {@link QueueDriver} the QueueModule built for the configured broker. */
export const QUEUE_DRIVER = Symbol('QUEUE_DRIVER');
