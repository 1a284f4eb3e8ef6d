/**
 * Pins the consuming side of the kafkajs patch (patches/kafkajs+2.2.4.patch, applied by
 * `npm install`) that decides what a fetched record costs to hold:
 * - records are decoded where they lie in their batch (or its decompressed bytes) instead of from
 *   a Buffer and a Decoder made per record, and each must end where its length prefix says;
 * - a record's `offset` and `value` are read at once, its `key`, `headers` and `timestamp` from the
 *   batch's bytes on first read, then kept, and they can still be assigned. A consumer holds every
 *   record until its handler finished, and those fields were most of what each held.
 * Header decoding itself (one object, names like `__proto__`) and the offset and timestamp sums
 * are pinned by kafkajs-record-decoder.spec.ts.
 */
import { inspect } from 'node:util';

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's record codecs are internal, untyped CommonJS */
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => object;
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  record: object,
) => object;
const { RecordBatch: encodeBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: object) => Promise<{ buffer: Buffer }>;
};
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: object,
) => Promise<{ records: DecodedRecord[] }>;
const { Types: Compression } = require('kafkajs/src/protocol/message/compression') as {
  Types: { None: number; GZIP: number };
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface DecodedRecord {
  magicByte: number;
  attributes: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
}

interface Input {
  key: string | null;
  value: string | null;
  headers: Record<string, string | string[]>;
}

const FIRST_OFFSET = '41';
const FIRST_TIMESTAMP = 1_795_987_365_426;

const INPUTS: Input[] = [
  {
    key: 'page-1',
    value: '{"eventId":"e-1"}',
    headers: { 'x-event-id': 'e-1', 'x-event-type': 'page-views' },
  },
  { key: null, value: '', headers: {} },
  { key: 'ключ-ü', value: null, headers: { 'x-tag': ['a', 'b', 'c'] } },
  { key: '', value: 'v'.repeat(300), headers: { 'x-long': 'h'.repeat(200) } }, // lengths past one varint byte
];

async function batchOf(inputs: Input[], compression = Compression.None): Promise<Buffer> {
  const records = inputs.map((input, i) =>
    encodeRecord({
      offsetDelta: i,
      timestampDelta: i * 7,
      key: input.key,
      value: input.value,
      headers: input.headers,
    }),
  );
  const { buffer } = await encodeBatch({
    compression,
    firstOffset: FIRST_OFFSET,
    firstTimestamp: FIRST_TIMESTAMP,
    maxTimestamp: FIRST_TIMESTAMP + 21,
    lastOffsetDelta: inputs.length - 1,
    records,
  });
  return buffer;
}

const decode = async (buffer: Buffer) => (await decodeBatch(new Decoder(buffer))).records;

const text = (value: Buffer | Buffer[]) =>
  Array.isArray(value) ? value.map(String) : String(value);

function expectDecoded(records: DecodedRecord[], inputs: Input[]): void {
  expect(records).toHaveLength(inputs.length);
  records.forEach((record, i) => {
    const input = inputs[i];
    expect(record.offset).toBe(String(Number(FIRST_OFFSET) + i));
    expect(record.timestamp).toBe(String(FIRST_TIMESTAMP + i * 7));
    expect(record.magicByte).toBe(2);
    expect(record.attributes).toBe(0);
    expect(record.isControlRecord).toBe(false);
    expect(record.key === null ? null : String(record.key)).toBe(input.key);
    expect(record.value === null ? null : String(record.value)).toBe(input.value);
    expect(
      Object.fromEntries(
        Object.entries(record.headers).map(([name, value]) => [name, text(value)]),
      ),
    ).toEqual(input.headers);
  });
}

describe('kafkajs record batches (patched decoder: records read in place, key, headers and timestamp on first read)', () => {
  it('decodes every field of every record as encoded, uncompressed and gzip-compressed', async () => {
    expectDecoded(await decode(await batchOf(INPUTS)), INPUTS);
    expectDecoded(await decode(await batchOf(INPUTS, Compression.GZIP)), INPUTS);
  });

  it('reads the same key and headers object on every read, and takes assigned ones', async () => {
    const [record] = await decode(await batchOf(INPUTS));
    expect(record.headers).toBe(record.headers);
    expect(record.key).toBe(record.key);
    record.headers = { replaced: Buffer.from('yes') };
    record.key = null;
    record.timestamp = '7';
    expect(text(record.headers.replaced)).toBe('yes');
    expect(record.key).toBeNull();
    expect(record.timestamp).toBe('7');
  });

  it('gives every field to JSON.stringify and util.inspect, in kafkajs order; a spread copy has only the eager ones', async () => {
    const [record] = await decode(await batchOf(INPUTS));
    expect(Object.keys({ ...record })).toEqual([
      'magicByte',
      'attributes',
      'offset',
      'value',
      'isControlRecord',
      'batchContext',
    ]);
    const json = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'magicByte',
      'attributes',
      'timestamp',
      'offset',
      'key',
      'value',
      'headers',
      'isControlRecord',
      'batchContext',
    ]);
    expect(json.timestamp).toBe(String(FIRST_TIMESTAMP));
    expect(json.key).toEqual(JSON.parse(JSON.stringify(Buffer.from('page-1'))));
    const shown = inspect(record);
    expect(shown).toContain("timestamp: '1795987365426'");
    expect(shown).toContain("'x-event-type'");
  });

  it('refuses a record whose fields do not end where its length says', async () => {
    const buffer = await batchOf([{ key: 'k', value: 'v', headers: {} }]);
    // 61 = the batch header (57 bytes) and the record count (int32): the first record's length,
    // a zigzag varint of one byte for so short a record.
    const LENGTH_AT = 61;
    const length = buffer[LENGTH_AT] / 2;
    const shorter = Buffer.from(buffer);
    shorter[LENGTH_AT] = (length - 1) * 2;
    await expect(decode(shorter)).rejects.toThrow(
      'record fields take 1 bytes more than its length',
    );
    const longer = Buffer.from(buffer);
    longer[LENGTH_AT] = (length + 40) * 2;
    await expect(decode(longer)).rejects.toThrow(
      `record of ${length + 40} bytes runs past the end of its batch`,
    );
  });
});
