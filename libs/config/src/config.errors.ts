/** A missing or malformed environment variable; its message is the one line printed at start-up. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly variable: string,
    readonly value: string | undefined,
    readonly expected: string,
  ) {
    super(
      `Invalid configuration: ${variable}=${value === undefined ? '(unset)' : JSON.stringify(value)}: ${expected}`,
    );
  }
}

/** True when the error is a configuration problem that should stop start-up with one line. */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
