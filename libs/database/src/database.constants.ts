/** Injection token of the {@link OpenDatabase} handle; inject `DataSource` itself for queries. */
export const OPEN_DATABASE = Symbol('OPEN_DATABASE');
