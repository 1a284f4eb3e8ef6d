/** Variable names whose values are secrets: never echoed in an error or a log line. */
const SECRET_VARIABLE = /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_KEYS|_KEY$/i;

/** True when the variable's value must never be shown (a `*_FILE` path is not the secret itself). */
export function isSecretVariable(name: string): boolean {
  return !name.endsWith('_FILE') && SECRET_VARIABLE.test(name);
}

/**
 * A value fit for an error message: secrets hidden, a URL's password replaced by `***` (the rest
 * of a URL helps the operator see which host or scheme is wrong).
 */
export function displayValue(name: string, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if (isSecretVariable(name)) return '(hidden)';
  return JSON.stringify(maskUrlPassword(value));
}

/** Replaces the password of a `scheme://user:password@host` URL with `***`; other text unchanged. */
export function maskUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/i, '$1***@');
}
