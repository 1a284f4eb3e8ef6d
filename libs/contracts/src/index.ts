export { STREAMS, type StreamName } from './streams';
export { HEADERS, MAX_ERROR_STACK_BYTES, type MessageHeaders } from './headers';
