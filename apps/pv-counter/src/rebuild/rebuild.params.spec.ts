import { BadInputException } from '@lib/platform';
import { parseRebuildParams } from './rebuild.params';

const now = new Date('2026-05-06T12:00:00Z');

function problems(query: Record<string, unknown>): unknown {
  try {
    parseRebuildParams(query, now);
  } catch (error) {
    if (error instanceof BadInputException) return error.details;
    throw error;
  }
  return [];
}

describe('rebuild parameters', () => {
  it('accepts today and past days', () => {
    expect(parseRebuildParams({ date: '2026-05-06' }, now)).toEqual({ date: '2026-05-06' });
    expect(parseRebuildParams({ date: '2024-02-29' }, now)).toEqual({ date: '2024-02-29' });
  });

  it.each([
    [{}, 'is required'],
    [{ date: '' }, 'is required'],
    [{ date: '2026-02-30' }, 'must be a calendar date YYYY-MM-DD'],
    [{ date: 'yesterday' }, 'must be a calendar date YYYY-MM-DD'],
    [{ date: ['2026-05-01', '2026-05-02'] }, 'must be a calendar date YYYY-MM-DD'],
    [{ date: '2026-05-07' }, 'must not be in the future'],
  ])('refuses %j: %s', (query, problem) => {
    expect(problems(query)).toEqual([{ field: 'date', problem }]);
  });
});
