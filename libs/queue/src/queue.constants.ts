/** Injection token of the app's queue transport (a {@link QueueServer}), for `connectMicroservice`. */
export const QUEUE_TRANSPORT = Symbol('QUEUE_TRANSPORT');

/** Injection token of the {@link QueueDriver} the QueueModule built for the configured broker. */
export const QUEUE_DRIVER = Symbol('QUEUE_DRIVER');

/**
 * Injection token of the app's consumer group (a string), resolved once: the QueueModule's
 * `group` option, else `CONSUMER_GROUP`, else the app's name. The transports, the stored offsets,
 * the de-duplication scopes and the rebuild all use this one value.
 */
export const CONSUMER_GROUP = Symbol('CONSUMER_GROUP');
