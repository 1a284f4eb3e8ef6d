/**
 * Whether a tracer provider is installed in this process. Checked before any per-event tracing
 * work, so that with tracing off nothing is allocated: a module-level flag because the
 * OpenTelemetry API's provider is process-wide too.
 */
let enabled = false;

/** True while spans are recorded and exported (a provider is installed). */
export function tracingEnabled(): boolean {
  return enabled;
}

/** Set by the tracing provider module only. */
export function setTracingEnabled(value: boolean): void {
  enabled = value;
}
