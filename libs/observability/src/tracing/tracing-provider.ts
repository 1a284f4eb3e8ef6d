import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { setTracingEnabled, tracingEnabled } from './tracing-state';
import { tracesUrl, tracingWanted, type TracingConfig } from './tracing.config';

/** The instrumentation scope of every span this project makes. */
export const TRACER_NAME = 'event-pipeline';

/** A hold on the process's tracer provider; the last `release()` flushes and removes it. */
export interface TracingHandle {
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Flushes; the last holder also shuts the provider down. Idempotent. */
  release(): Promise<void>;
}

interface Installed {
  holders: number;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

// Process-wide like the API's own global provider: apps sharing a process share one provider.
let installed: Installed | undefined;

const NOTHING: TracingHandle = { flush: async () => {}, release: async () => {} };

/** The project's tracer (the API's no-op tracer while tracing is off). */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Installs the OpenTelemetry SDK when the configuration turns tracing on, before the app is
 * created; with tracing off the SDK is not even loaded. Apps in one process share the first
 * installed provider (and its service name).
 */
export async function startTracing(config: TracingConfig, appName: string): Promise<TracingHandle> {
  if (installed) return hold(installed);
  if (!tracingWanted(config)) return NOTHING;
  const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const exporter = new OTLPTraceExporter({ url: tracesUrl(config) });
  return install(
    new BatchSpanProcessor(exporter),
    config.OTEL_SERVICE_NAME ?? appName,
    await samplerOf(config),
  );
}

/**
 * Installs a provider that hands each ended span to `exporter` at once (e.g. an
 * InMemorySpanExporter), for tests that run the apps in-process. Release it at the end.
 */
export async function startTracingForTests(exporter: SpanExporter): Promise<TracingHandle> {
  if (installed) throw new Error('tracing is already installed in this process');
  const { SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  return install(new SimpleSpanProcessor(exporter), 'event-pipeline-test');
}

async function install(
  processor: SpanProcessor,
  serviceName: string,
  sampler?: Sampler,
): Promise<TracingHandle> {
  const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME } = await import('@opentelemetry/semantic-conventions');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  if (installed) return hold(installed); // another app installed one while this one loaded
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    sampler,
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  installed = {
    holders: 0,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
  setTracingEnabled(true);
  return hold(installed);
}

function hold(target: Installed): TracingHandle {
  target.holders++;
  let released = false;
  return {
    flush: () => target.forceFlush(),
    async release() {
      if (released) return;
      released = true;
      await target.forceFlush();
      if (--target.holders > 0 || installed !== target) return;
      installed = undefined;
      setTracingEnabled(false);
      trace.disable();
      propagation.disable();
      context.disable();
      await target.shutdown();
    },
  };
}

async function samplerOf(config: TracingConfig): Promise<Sampler> {
  const sdk = await import('@opentelemetry/sdk-trace-base');
  const ratio = new sdk.TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG);
  switch (config.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: ratio });
    default:
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}

export { tracingEnabled };
