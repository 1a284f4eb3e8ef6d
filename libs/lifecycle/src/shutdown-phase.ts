/**
 * The order in which an app shuts down. Lower phases finish before higher ones start, whatever
 * order Nest would destroy the modules in.
 */
export enum ShutdownPhase {
  /** Readiness reports 503 and the grace delay lets load balancers notice. */
  Readiness = 0,
  /** HTTP stops accepting; consumers stop fetching. */
  StopIntake = 1,
  /** In-flight handlers finish. */
  Drain = 2,
  /** Work queues are flushed; offsets are committed and messages acked. */
  Flush = 3,
  /** Publishers close (the spool keeps what is left); broker connections close. */
  CloseBrokers = 4,
  /** The database closes last. */
  CloseDatabase = 5,
}
