export { tracingConfig, tracesUrl, tracingWanted, type TracingConfig } from './tracing.config';
export { tracingEnabled } from './tracing-state';
export {
  startTracing,
  startTracingForTests,
  tracer,
  TRACER_NAME,
  type TracingHandle,
} from './tracing-provider';
export {
  isValidTraceparent,
  linksOf,
  MAX_LINKS,
  requestTraceHeaders,
  spanContextOf,
  traceContextOf,
} from './trace-headers';
export { installHttpTracingHook, requestTraceContext } from './http-tracing.hook';
export { LINKED_CONTEXTS, MESSAGING } from './messaging-attributes';
