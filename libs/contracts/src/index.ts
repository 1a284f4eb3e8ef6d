export { STREAMS, type StreamName } from './streams';
export { HEADERS, MAX_ERROR_STACK_BYTES, type MessageHeaders } from './headers';
export {
  deliveryResultInput,
  EVENT_INPUTS,
  logInput,
  orderInput,
  pageViewInput,
  tickInput,
  type DeliveryResultEvent,
  type IngestStream,
  type LogEvent,
  type OrderEvent,
  type PageViewEvent,
  type Stamped,
  type TickEvent,
} from './events';
export { stampedPayload, withReceivedAt, type StampedOutput } from './stamped-payload';
export { fieldIssues, type FieldIssue } from './event-validation';
export { PipelineError } from './pipeline-error';
export { calendarDay, isCalendarDay, todayUtc, utcDay } from './calendar-day';
