export { PlatformModule } from './platform.module';
export {
  createHttpApp,
  BODY_LIMIT_BYTES,
  type HttpApp,
  type HttpAppOptions,
} from './create-http-app';
export { runMain } from './run-main';
export { httpConfig, isLoopbackHost } from './http.config';
export { createApiKeyCheck, type ApiKeys } from './api-key.hook';
export { BadInputException, errorBody, type ErrorBody, type FieldProblem } from './http-error';
export { HttpExceptionFilter, toErrorBody } from './http-exception.filter';
