/**
 * Pins the producing side of the kafkajs patch (patches/kafkajs+2.2.4.patch, applied by
 * `npm install`), which must not change a byte on the wire:
 * - a record with int32 deltas and string or Buffer key, value and header values is written into
 *   one buffer of its exact size; anything else (a Long or larger timestamp delta, other value
 *   types) takes kafkajs's own path, which refuses what it always refused. The expected bytes
 *   below were produced by kafkajs 2.2.4 as published;
 * - varints are written in place instead of through a Buffer per varint;
 * - the default partitioner's murmur2 uses 32-bit arithmetic, as the Java client does, instead of
 *   BigInt-backed Longs: keys must land on the partitions the Java client picks;
 * - grouping a send's messages by partition appends instead of copying each partition's array
 *   per message (quadratic), keeping the order.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's codec and partitioner are internal, untyped CommonJS */
const writeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => {
  buffer: Buffer;
};
const Encoder = require('kafkajs/src/protocol/encoder') as new () => {
  writeVarInt(value: number): unknown;
  writeUVarInt(value: number): unknown;
  buffer: Buffer;
};
const Long = require('kafkajs/src/utils/long') as { fromString(value: string): unknown };
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: string | Buffer,
) => number;
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition') as (
  args: object,
) => Record<string, Array<{ key: string; value: string }>>;
/* eslint-enable @typescript-eslint/no-require-imports */

const hex = (record: object) => writeRecord(record).buffer.toString('hex');

describe('kafkajs patch: producer record encoding', () => {
  it('writes the bytes kafkajs 2.2.4 wrote for records of the common shape', () => {
    expect(hex({ offsetDelta: 0, timestampDelta: 0, key: 'k', value: 'v', headers: {} })).toBe(
      '10000000026b027600',
    );
    expect(
      hex({
        offsetDelta: 3,
        timestampDelta: 12345,
        key: '/story/1',
        value: JSON.stringify({ a: 'é✓' }),
        headers: { 'x-event-id': 'e1', 'x-event-type': 'page-views' },
      }),
    ).toBe(
      '860100f2c00106102f73746f72792f311a7b2261223a22c3a9e29c93227d0414782d6576656e742d696404653118782d6576656e742d7479706514706167652d7669657773',
    );
    expect(
      hex({
        offsetDelta: 200,
        timestampDelta: -5,
        key: null,
        value: null,
        headers: { multi: ['a', Buffer.from([0, 255])], b: Buffer.from('bin') },
      }),
    ).toBe('3c000990030101060a6d756c746902610a6d756c74690400ff02620662696e');
    expect(
      hex({
        offsetDelta: 5,
        timestampDelta: 2 ** 31 - 1,
        key: undefined,
        value: 'z'.repeat(200),
        headers: undefined,
      }),
    ).toBe(`a60300feffffff0f0a0190037a${'7a'.repeat(199)}00`);
    expect(hex({ offsetDelta: 5, timestampDelta: -(2 ** 31), key: '', value: '' })).toBe(
      '1400ffffffff0f0a000000',
    );
  });

  it("writes the same bytes through kafkajs's own path for deltas beyond 32 bits", () => {
    expect(
      hex({
        offsetDelta: 70000,
        timestampDelta: 2 ** 40,
        key: Buffer.from([1, 2, 3]),
        value: Buffer.alloc(300, 7),
        headers: { ü: 'ß' },
      }),
    ).toBe(`860500808080808040e0c50806010203d804${'07'.repeat(300)}0204c3bc04c39f`);
    expect(
      hex({
        offsetDelta: 1,
        timestampDelta: Long.fromString('9007199254740993'),
        key: 'x',
        value: 'y',
      }),
    ).toBe('1e008280808080808020020278027900');
  });

  it('still refuses what kafkajs refused: header values and values that are neither strings nor Buffers', () => {
    // Node's ERR_INVALID_ARG_TYPE (a TypeError of Node's realm, hence matched by its message).
    const refused = /argument must be of type string/;
    expect(() => writeRecord({ key: 'k', value: 'v', headers: { n: 5 } })).toThrow(refused);
    expect(() => writeRecord({ key: 'k', value: 'v', headers: { u: undefined } })).toThrow(refused);
    expect(() => writeRecord({ key: 'k', value: 5 })).toThrow(refused);
  });
});

describe('kafkajs patch: varints', () => {
  /** Zig-zag LEB128 as the Kafka protocol defines it, for 32-bit values. */
  function reference(value: number): string {
    let unsigned = ((value << 1) ^ (value >> 31)) >>> 0;
    const bytes: number[] = [];
    while (unsigned > 0x7f) {
      bytes.push((unsigned & 0x7f) | 0x80);
      unsigned >>>= 7;
    }
    bytes.push(unsigned);
    return Buffer.from(bytes).toString('hex');
  }

  it('writes every size of varint as the protocol defines it, several into one buffer', () => {
    const values = [
      0,
      1,
      -1,
      63,
      64,
      -64,
      -65,
      8191,
      8192,
      2 ** 20,
      -(2 ** 20),
      2 ** 27,
      2 ** 30,
      2 ** 31 - 1,
      -(2 ** 31),
    ];
    const encoder = new Encoder();
    for (const value of values) encoder.writeVarInt(value);
    expect(encoder.buffer.toString('hex')).toBe(values.map(reference).join(''));
  });

  it('grows the buffer when a varint does not fit', () => {
    const encoder = new Encoder();
    for (let i = 0; i < 1_000; i++) encoder.writeUVarInt(2 ** 31 + i);
    expect(encoder.buffer.length).toBe(5_000);
  });
});

describe('kafkajs patch: default partitioner', () => {
  it("hashes keys as the Java client's murmur2 does", () => {
    // The Java client's own test vectors (UtilsTest.testMurmur2).
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2('abc')).toBe(479470107);
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
  });

  it('groups a send by partition keeping each partition in send order', () => {
    const messages = Array.from({ length: 3_000 }, (_, i) => ({
      key: `k${i % 7}`,
      value: String(i),
    }));
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }],
      messages,
      partitioner: ({ message }: { message: { key: string } }) => Number(message.key.slice(1)) % 3,
    });
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2']);
    for (const [partition, list] of Object.entries(grouped)) {
      expect(list).toEqual(
        messages.filter((m) => Number(m.key.slice(1)) % 3 === Number(partition)),
      );
    }
    expect(
      groupMessagesPerPartition({
        topic: 't',
        partitionMetadata: [],
        messages,
        partitioner: () => 0,
      }),
    ).toEqual({});
  });
});
