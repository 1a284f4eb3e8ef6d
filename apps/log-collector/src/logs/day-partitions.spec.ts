import {
  addDays,
  dayOf,
  dayOfPartition,
  daysFrom,
  partitionName,
  partitionWindow,
  startOfDay,
} from './day-partitions';

describe('day partitions', () => {
  it('names a UTC day and its partition', () => {
    expect(dayOf(new Date('2026-02-28T23:59:59.999+00:00'))).toBe('20260228');
    expect(dayOf(new Date('2026-03-01T00:30:00+01:00'))).toBe('20260228'); // still the 28th in UTC
    expect(partitionName('20260228')).toBe('app_logs_p20260228');
    expect(dayOfPartition('app_logs_p20260228')).toBe('20260228');
    expect(dayOfPartition('app_logs_default')).toBeUndefined();
    expect(() => partitionName('2026-02-28; DROP')).toThrow(TypeError);
  });

  it('counts days across month and year ends', () => {
    expect(startOfDay('20261231').toISOString()).toBe('2026-12-31T00:00:00.000Z');
    expect(addDays('20261231', 1)).toBe('20270101');
    expect(addDays('20240301', -1)).toBe('20240229');
    expect(daysFrom('20261230', '20270102')).toEqual([
      '20261230',
      '20261231',
      '20270101',
      '20270102',
    ]);
    expect(daysFrom('20270102', '20270101')).toEqual([]);
  });

  it('keeps partitions from retention days ago to two days ahead', () => {
    expect(partitionWindow(new Date('2026-05-10T13:00:00Z'), 7)).toEqual({
      first: '20260503',
      last: '20260512',
    });
  });
});
