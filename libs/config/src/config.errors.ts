import { displayValue } from './secret-values';

/** Something an operator must fix before the app can start; its message is the one line printed, with no stack. */
export class StartupRefusal extends Error {
  override readonly name: string = 'StartupRefusal';
}

/** True when the error should stop start-up with its one-line message. */
export function isStartupRefusal(error: unknown): error is StartupRefusal {
  return error instanceof StartupRefusal;
}

/** A missing or malformed environment variable; its message is the one line printed at start-up. */
export class ConfigError extends StartupRefusal {
  override readonly name = 'ConfigError';

  /**
   * `value` is only used for the message, where secrets are hidden and URL passwords masked;
   * `shown` replaces it when the value is described some other way (e.g. read from a file).
   */
  constructor(
    readonly variable: string,
    value: string | undefined,
    readonly expected: string,
    shown: string = displayValue(variable, value),
  ) {
    super(`Invalid configuration: ${variable}=${shown}: ${expected}`);
  }
}

/** True when the error is a configuration problem that should stop start-up with one line. */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
