/** Injection token of the {@link SpoolingPublisher} a SpoolModule provides. */
export const SPOOLING_PUBLISHER = Symbol('SPOOLING_PUBLISHER');
/** Injection token of the SpoolModule's own options ({@link SpoolModuleOptions}). */
export const SPOOL_MODULE_OPTIONS = Symbol('SPOOL_MODULE_OPTIONS');
