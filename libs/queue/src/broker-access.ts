/**
 * Whether the broker accepts this app's credentials and certificates. A rejection (bad password,
 * unknown CA, expired certificate) cannot heal without an operator, unlike an unreachable broker:
 * readiness turns 503 on every app while it lasts, and the clients keep retrying.
 */
export class BrokerAccess {
  private reason?: string;

  /** Records that the broker refused us; `reason` is logged and shown by readiness, so no secret in it. */
  rejected(reason: string): void {
    this.reason = reason;
  }

  /** Records a successful authenticated connection, clearing any earlier rejection. */
  accepted(): void {
    this.reason = undefined;
  }

  /** The last rejection still in force, if any. */
  rejection(): string | undefined {
    return this.reason;
  }
}
