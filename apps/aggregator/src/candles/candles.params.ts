import { fieldIssues, tickInput, type FieldIssue } from '@lib/contracts';
import { BadInputException } from '@lib/platform';
import { z } from 'zod';

/** The contract's symbol rule, as `POST /v1/ticks` applies it. */
const symbolRule = tickInput.shape.symbol;

/** Intervals served; candles are stored per minute. */
export const CANDLE_INTERVALS = ['1m'] as const;

/** Longest `to - from` of one candles request: 7 days, 10 080 one-minute candles. */
export const MAX_CANDLE_RANGE_MS = 7 * 24 * 60 * 60 * 1000;

/** Range when `from` is absent: the day before `to`. */
export const DEFAULT_CANDLE_RANGE_MS = 24 * 60 * 60 * 1000;

/** Most symbols one stream subscription may list. */
export const MAX_STREAM_SYMBOLS = 100;

const isoDateTime = () =>
  z.iso.datetime({
    offset: true,
    message: 'must be an ISO-8601 date-time with an offset, e.g. 2026-01-31T12:00:00Z',
  });

const candlesQuery = z.object({
  interval: z
    .enum(CANDLE_INTERVALS, { message: `must be one of ${CANDLE_INTERVALS.join(', ')}` })
    .optional(),
  from: isoDateTime().optional(),
  to: isoDateTime().optional(),
});

/** `GET /v1/candles/:symbol`, validated. */
export interface CandlesParams {
  readonly symbol: string;
  readonly interval: (typeof CANDLE_INTERVALS)[number];
  /** Candles whose minute starts in [from, to] (epoch ms). */
  readonly from: number;
  readonly to: number;
}

/** `symbols=A,B` of the stream: a set, or undefined for every symbol. */
export interface StreamParams {
  readonly symbols?: ReadonlySet<string>;
}

function symbolProblems(value: unknown, field = 'symbol'): FieldIssue[] {
  const checked = symbolRule.safeParse(value);
  return checked.success ? [] : [{ field, problem: checked.error.issues[0].message }];
}

/** A query value given twice arrives as an array; it is one problem, not a crash. */
function single(query: Record<string, unknown>, names: readonly string[]): FieldIssue[] {
  return names
    .filter((name) => Array.isArray(query[name]))
    .map((field) => ({ field, problem: 'must be given once' }));
}

/** `GET /v1/candles/:symbol?interval=1m&from=&to=`: throws {@link BadInputException} (400 with details). */
export function parseCandlesParams(
  path: Record<string, unknown>,
  query: Record<string, unknown> = {},
  now: number = Date.now(),
): CandlesParams {
  query ??= {};
  const problems = [...symbolProblems(path?.symbol), ...single(query, ['interval', 'from', 'to'])];
  if (problems.length === 0) {
    const result = candlesQuery.safeParse(query);
    if (!result.success) problems.push(...fieldIssues(result.error, query));
    else {
      const to = result.data.to === undefined ? now : Date.parse(result.data.to);
      const from =
        result.data.from === undefined
          ? to - DEFAULT_CANDLE_RANGE_MS
          : Date.parse(result.data.from);
      if (from > to) problems.push({ field: 'from', problem: 'must not be after to' });
      else if (to - from > MAX_CANDLE_RANGE_MS)
        problems.push({ field: 'to', problem: 'must be at most 7 days after from' });
      else
        return { symbol: path.symbol as string, interval: result.data.interval ?? '1m', from, to };
    }
  }
  throw new BadInputException(problems);
}

/** `GET /v1/quotes/:symbol`: the symbol, or {@link BadInputException}. */
export function parseQuoteSymbol(path: Record<string, unknown>): string {
  const problems = symbolProblems(path?.symbol);
  if (problems.length > 0) throw new BadInputException(problems);
  return path.symbol as string;
}

/** `GET /v1/quotes/stream?symbols=A,B` (absent: every symbol). */
export function parseStreamParams(query: Record<string, unknown> = {}): StreamParams {
  query ??= {};
  const given = query.symbols;
  if (given === undefined) return {};
  if (typeof given !== 'string')
    throw new BadInputException([{ field: 'symbols', problem: 'must be given once' }]);
  const list = given.split(',');
  const problems: FieldIssue[] = [];
  list.forEach((item, i) => problems.push(...symbolProblems(item, `symbols[${i}]`)));
  if (list.length > MAX_STREAM_SYMBOLS)
    problems.push({ field: 'symbols', problem: `must list at most ${MAX_STREAM_SYMBOLS} symbols` });
  if (problems.length > 0) throw new BadInputException(problems);
  return { symbols: new Set(list) };
}
