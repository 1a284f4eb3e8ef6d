/**
 * Pins the kafkajs patch (patches/kafkajs+2.2.4.patch, applied by `npm install`): record headers
 * are decoded by assignment into one object instead of a spread-and-computed-key reduce. The
 * reduce gave every record's headers object a V8 hidden class of its own; the patch made every
 * kafkajs consumer here about a quarter faster (consumer-kafka bench). These cases also differ
 * between the two: the reduce read inherited properties (`toString`) and `__proto__` as existing
 * headers and turned the value into an array.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's record codec is internal, untyped CommonJS */
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => { readVarInt(): number };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => { buffer: Buffer };
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  decoder: unknown,
  context: object,
) => { headers: Record<string, Buffer | Buffer[]> };
/* eslint-enable @typescript-eslint/no-require-imports */

function roundTrip(headers: Record<string, string | string[]>): Record<string, Buffer | Buffer[]> {
  const { buffer } = encodeRecord({ offsetDelta: 0, timestampDelta: 0, key: 'k', value: 'v', headers });
  const decoder = new Decoder(buffer);
  decoder.readVarInt(); // the record's length prefix
  return decodeRecord(decoder, { firstOffset: '0', firstTimestamp: '0' }).headers;
}

const text = (value: Buffer | Buffer[]) => (Array.isArray(value) ? value.map(String) : String(value));

describe('kafkajs record headers (patched decoder)', () => {
  it('decodes single and repeated headers as before', () => {
    const headers = roundTrip({ 'x-event-id': 'e-1', 'x-tag': ['a', 'b', 'c'] });
    expect(Object.keys(headers)).toEqual(['x-event-id', 'x-tag']);
    expect(text(headers['x-event-id'])).toBe('e-1');
    expect(text(headers['x-tag'])).toEqual(['a', 'b', 'c']);
  });

  it('keeps header names that are also Object.prototype properties as plain own values', () => {
    const headers = roundTrip(JSON.parse('{"toString":"t","__proto__":"p"}') as Record<string, string>);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers)).toEqual(['toString', '__proto__']);
    expect(text(headers.toString as unknown as Buffer)).toBe('t');
    expect(text(Object.getOwnPropertyDescriptor(headers, '__proto__')!.value as Buffer)).toBe('p');
  });
});
