/**
 * Pins the kafkajs patch (patches/kafkajs+2.2.4.patch, applied by `npm install`) of the record
 * decoder:
 * - headers are decoded by assignment into one object instead of a spread-and-computed-key
 *   reduce, which gave every record's headers object a V8 hidden class of its own. These cases
 *   also differ between the two: the reduce read inherited properties (`toString`) and
 *   `__proto__` as existing headers and turned the value into an array;
 * - a record's offset and timestamp (the batch's first one plus the record's delta) are summed as
 *   numbers while safe, the batch's base parsed once, and the timestamp delta is read as a number
 *   while it fits in 49 bits, instead of BigInt-backed Long arithmetic per record; they must equal
 *   the exact decimal sums, beyond 2^53 too.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's record codec is internal, untyped CommonJS */
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => {
  readVarInt(): number;
};
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => {
  buffer: Buffer;
};
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  decoder: unknown,
  context: object,
) => unknown;
/* eslint-enable @typescript-eslint/no-require-imports */

interface DecodedRecord {
  headers: Record<string, Buffer | Buffer[]>;
  offset: string;
  timestamp: string;
}

function decode(
  record: {
    headers?: Record<string, string | string[]>;
    offsetDelta?: number;
    timestampDelta?: number | bigint;
  },
  context: { firstOffset: string; firstTimestamp: string } = {
    firstOffset: '0',
    firstTimestamp: '0',
  },
): DecodedRecord {
  const { buffer } = encodeRecord({
    offsetDelta: 0,
    timestampDelta: 0,
    key: 'k',
    value: 'v',
    headers: {},
    ...record,
  });
  const decoder = new Decoder(buffer);
  decoder.readVarInt(); // the record's length prefix
  return decodeRecord(decoder, context) as DecodedRecord;
}

const roundTrip = (headers: Record<string, string | string[]>) => decode({ headers }).headers;

const text = (value: Buffer | Buffer[]) =>
  Array.isArray(value) ? value.map(String) : String(value);

describe('kafkajs record headers (patched decoder)', () => {
  it('decodes single and repeated headers as before', () => {
    const headers = roundTrip({ 'x-event-id': 'e-1', 'x-tag': ['a', 'b', 'c'] });
    expect(Object.keys(headers)).toEqual(['x-event-id', 'x-tag']);
    expect(text(headers['x-event-id'])).toBe('e-1');
    expect(text(headers['x-tag'])).toEqual(['a', 'b', 'c']);
  });

  it('keeps header names that are also Object.prototype properties as plain own values', () => {
    const headers = roundTrip(
      JSON.parse('{"toString":"t","__proto__":"p"}') as Record<string, string>,
    );
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers)).toEqual(['toString', '__proto__']);
    expect(text(headers.toString as unknown as Buffer)).toBe('t');
    expect(text(Object.getOwnPropertyDescriptor(headers, '__proto__')!.value as Buffer)).toBe('p');
  });

  it('gives every record its exact offset and timestamp, within and beyond safe integers', () => {
    const cases: Array<[first: string, delta: number]> = [
      ['0', 0],
      ['41', 7],
      ['1795987365426', 1_999],
      ['1795987365426', -3],
      ['9007199254740990', 1], // 2^53 − 1: still safe
      ['9007199254740990', 5], // the sum passes 2^53
      ['9223372036854775000', 800], // int64 range, far beyond 2^53
      ['1795987365426', 2 ** 50 + 3], // a timestamp delta too long for the 49-bit fast path
      ['1795987365426', -(2 ** 50) - 1],
    ];
    for (const [first, delta] of cases) {
      const expected = String(BigInt(first) + BigInt(delta));
      // Alternating batches, so the remembered base of one batch must not leak into the next.
      for (const context of [
        { firstOffset: first, firstTimestamp: first },
        { firstOffset: '5', firstTimestamp: '5' },
        { firstOffset: first, firstTimestamp: first },
      ]) {
        const offsetDelta = Math.abs(delta) % 1_000_000; // an int32 varint in the format
        const record = decode({ offsetDelta, timestampDelta: delta }, context);
        expect(record.offset).toBe(String(BigInt(context.firstOffset) + BigInt(offsetDelta)));
        expect(record.timestamp).toBe(String(BigInt(context.firstTimestamp) + BigInt(delta)));
        if (context.firstOffset === first) expect(record.timestamp).toBe(expected);
      }
    }
    // Beyond 2^53 even the delta is not a double: only the Long path gets it right.
    const huge = 2n ** 60n + 1n;
    const record = decode(
      { timestampDelta: huge },
      { firstOffset: '0', firstTimestamp: '1795987365426' },
    );
    expect(record.timestamp).toBe(String(1_795_987_365_426n + huge));
  });
});
