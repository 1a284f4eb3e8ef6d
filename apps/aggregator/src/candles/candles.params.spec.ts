import { badInputProblems as problems } from '@test/support';
import {
  MAX_STREAM_SYMBOLS,
  parseCandlesParams,
  parseQuoteSymbol,
  parseStreamParams,
} from './candles.params';

const now = Date.parse('2026-03-01T12:00:00Z');

describe('candles and quotes parameters', () => {
  it('defaults to the 24 h before now at 1m', () => {
    expect(parseCandlesParams({ symbol: 'BRK.B' }, {}, now)).toEqual({
      symbol: 'BRK.B',
      interval: '1m',
      from: now - 86_400_000,
      to: now,
    });
    expect(
      parseCandlesParams(
        { symbol: 'A1' },
        { interval: '1m', from: '2026-03-01T10:00:00+01:00', to: '2026-03-01T10:00:00Z' },
        now,
      ),
    ).toMatchObject({
      from: Date.parse('2026-03-01T09:00:00Z'),
      to: Date.parse('2026-03-01T10:00:00Z'),
    });
  });

  it.each([
    [{ symbol: 'acme' }, {}, 'symbol'],
    [{ symbol: 'X'.repeat(17) }, {}, 'symbol'],
    [{ symbol: 'A-B' }, {}, 'symbol'],
    [{ symbol: 'A' }, { interval: '5m' }, 'interval'],
    [{ symbol: 'A' }, { from: 'yesterday' }, 'from'],
    [{ symbol: 'A' }, { to: '2026-03-01T10:00:00' }, 'to'],
    [{ symbol: 'A' }, { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'from'],
    [{ symbol: 'A' }, { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'to'],
    [{ symbol: 'A' }, { from: ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'] }, 'from'],
  ])('refuses %j %j with a detail on %s', (path, query, field) => {
    expect(problems(() => parseCandlesParams(path, query, now)).map((p) => p.field)).toContain(
      field,
    );
  });

  it('checks the quote symbol and the stream symbols', () => {
    expect(parseQuoteSymbol({ symbol: 'ACME' })).toBe('ACME');
    expect(problems(() => parseQuoteSymbol({ symbol: 'acme' }))).toEqual([
      { field: 'symbol', problem: 'must be 1-16 characters of A-Z, 0-9 and "."' },
    ]);
    expect(parseStreamParams({})).toEqual({});
    expect(parseStreamParams({ symbols: 'A,B.C' }).symbols).toEqual(new Set(['A', 'B.C']));
    expect(problems(() => parseStreamParams({ symbols: 'A,,b' })).map((p) => p.field)).toEqual([
      'symbols[1]',
      'symbols[2]',
    ]);
    const many = Array.from({ length: MAX_STREAM_SYMBOLS + 1 }, (_, i) => `S${i}`).join(',');
    expect(problems(() => parseStreamParams({ symbols: many })).map((p) => p.field)).toEqual([
      'symbols',
    ]);
  });
});
