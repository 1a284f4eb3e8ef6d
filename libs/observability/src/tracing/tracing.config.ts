import { booleanVar, defineConfig, enumVar, urlVar } from '@lib/config';
import { z } from 'zod';

/** Samplers of the OpenTelemetry specification's `OTEL_TRACES_SAMPLER`. */
export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * Tracing, with the OpenTelemetry specification's variables. Off unless
 * `OTEL_TRACES_EXPORTER=otlp`; `OTEL_SDK_DISABLED=true` turns it off whatever else is set.
 */
export const tracingConfig = defineConfig(
  'tracing',
  z.object({
    OTEL_TRACES_EXPORTER: enumVar(['none', 'otlp'] as const).default('none'),
    OTEL_SDK_DISABLED: booleanVar().default(false),
    /** Defaults to the app's name. */
    OTEL_SERVICE_NAME: z.string().trim().min(1, { message: 'must not be empty' }).optional(),
    /** Base URL of the collector; spans go to `<endpoint>/v1/traces`. */
    OTEL_EXPORTER_OTLP_ENDPOINT: urlVar(['http', 'https']).optional(),
    /** Full URL for spans; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: urlVar(['http', 'https']).optional(),
    OTEL_TRACES_SAMPLER: enumVar(TRACE_SAMPLERS).default('parentbased_always_on'),
    /** The ratio of the `traceidratio` samplers, 0 to 1. */
    OTEL_TRACES_SAMPLER_ARG: z.coerce
      .number({ message: 'expected a number between 0 and 1' })
      .min(0, { message: 'expected a number between 0 and 1' })
      .max(1, { message: 'expected a number between 0 and 1' })
      .default(1),
  }),
);

/** The validated tracing configuration. */
export type TracingConfig = z.infer<typeof tracingConfig.schema>;

/** Where spans are sent: the traces endpoint, else the base endpoint's `/v1/traces`, else the local collector. */
export function tracesUrl(config: TracingConfig): string {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318';
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** True when the configuration turns tracing on. */
export function tracingWanted(config: TracingConfig): boolean {
  return config.OTEL_TRACES_EXPORTER === 'otlp' && !config.OTEL_SDK_DISABLED;
}
