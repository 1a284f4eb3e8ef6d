import { addDecimal, decimalOf, decimalText } from './decimal-sum';

describe('exact decimal sums', () => {
  it('adds amounts without binary rounding', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(decimalText(addDecimal(decimalOf(0.1), decimalOf(0.2)))).toBe('0.3');
    const many = Array.from({ length: 1000 }, () => decimalOf(19.99)).reduce(addDecimal);
    expect(decimalText(many)).toBe('19990.00');
  });

  it('reads the exponent forms JavaScript prints', () => {
    expect(decimalText(decimalOf(1e-7))).toBe('0.0000001');
    expect(decimalText(decimalOf(1.5e21))).toBe('1500000000000000000000');
    expect(decimalText(decimalOf(0))).toBe('0');
    expect(decimalText(decimalOf(42))).toBe('42');
  });

  it('refuses what no amount can be', () => {
    expect(() => decimalOf(-1)).toThrow(RangeError);
    expect(() => decimalOf(Number.NaN)).toThrow(RangeError);
    expect(() => decimalOf(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
