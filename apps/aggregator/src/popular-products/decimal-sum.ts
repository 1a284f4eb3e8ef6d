/**
 * Exact sums of order amounts. An amount arrives as a JSON number; adding binary floats would
 * drift (0.1 + 0.2), and the column is `numeric`, so amounts are summed as scaled integers
 * (BigInt digits and a count of decimals) and written as decimal text. Hand-written because it is
 * twenty lines and adding a decimal library for one addition is not worth a dependency.
 */
export interface Decimal {
  readonly digits: bigint;
  /** Digits after the decimal point. */
  readonly scale: number;
}

const NUMBER_TEXT = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/** The exact decimal value of a finite, non-negative number as JavaScript prints it. */
export function decimalOf(value: number): Decimal {
  const match = NUMBER_TEXT.exec(String(value));
  if (!match || !Number.isFinite(value))
    throw new RangeError(`not a non-negative finite number: ${value}`);
  const [, whole, fraction = '', exponent = '0'] = match;
  const scale = fraction.length - Number(exponent);
  const digits = BigInt(whole + fraction);
  return scale >= 0 ? { digits, scale } : { digits: digits * 10n ** BigInt(-scale), scale: 0 };
}

/** a + b, exactly. */
export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return {
    digits: a.digits * 10n ** BigInt(scale - a.scale) + b.digits * 10n ** BigInt(scale - b.scale),
    scale,
  };
}

/** Decimal text for PostgreSQL `numeric`, e.g. `12.50`. */
export function decimalText(value: Decimal): string {
  if (value.scale === 0) return value.digits.toString();
  const text = value.digits.toString().padStart(value.scale + 1, '0');
  return `${text.slice(0, -value.scale)}.${text.slice(-value.scale)}`;
}
