import type { LogRecord } from './log-record';
import { MemoryLogSink } from './memory-log-sink';
import { NullLogSink } from './log-sink';
import { RingLogSink } from './ring-log-sink';

const record = (n: number, kind: LogRecord['kind'] = 'request'): LogRecord => ({
  eventId: `e${n}`,
  service: 'test',
  kind,
  level: 'info',
  message: `m${n}`,
  occurredAt: new Date(0).toISOString(),
});

describe('RingLogSink', () => {
  it('returns records oldest first and drains in chunks', () => {
    const sink = new RingLogSink(5);
    for (let n = 1; n <= 4; n++) sink.write(record(n));
    expect(sink.size).toBe(4);
    expect(sink.drain(3).map((r) => r.eventId)).toEqual(['e1', 'e2', 'e3']);
    sink.write(record(5));
    sink.write(record(6));
    expect(sink.drain().map((r) => r.eventId)).toEqual(['e4', 'e5', 'e6']);
    expect(sink.size).toBe(0);
    expect(sink.drain()).toEqual([]);
    expect(sink.dropped).toBe(0);
  });

  it('keeps the newest records when full and counts the ones it dropped', () => {
    const sink = new RingLogSink(3);
    for (let n = 1; n <= 10; n++) sink.write(record(n));
    expect(sink.size).toBe(3);
    expect(sink.dropped).toBe(7);
    expect(sink.drain().map((r) => r.eventId)).toEqual(['e8', 'e9', 'e10']);
  });

  it('stays O(1) per write: 200 000 writes into a small ring are quick', () => {
    const sink = new RingLogSink(1000);
    const started = process.hrtime.bigint();
    for (let n = 0; n < 200_000; n++) sink.write(record(n));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(sink.size).toBe(1000);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new RingLogSink(0)).toThrow(RangeError);
  });
});

describe('MemoryLogSink and NullLogSink', () => {
  it('the memory sink keeps everything, by kind if asked', () => {
    const sink = new MemoryLogSink();
    sink.write(record(1));
    sink.write(record(2, 'error'));
    expect(sink.records().map((r) => r.eventId)).toEqual(['e1', 'e2']);
    expect(sink.records('error').map((r) => r.eventId)).toEqual(['e2']);
    sink.clear();
    expect(sink.records()).toEqual([]);
  });

  it('the null sink accepts and forgets', () => {
    expect(() => new NullLogSink().write()).not.toThrow();
  });
});
