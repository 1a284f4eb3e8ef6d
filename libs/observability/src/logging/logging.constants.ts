/** Injection token of the app's {@link QueryLoggingOptions} (TypeORM logger and slow-query threshold). */
export const QUERY_LOGGING = Symbol('QUERY_LOGGING');
