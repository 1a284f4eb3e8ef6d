/**
 * The claim's literal holds exactly the keys timeOrderedKey and namedKey make (those are what the
 * upgrade migration derived and what older rows hold), in the order of the ids.
 */
import { randomUUID } from 'node:crypto';
import { v7 as timeOrderedUuid } from 'uuid';
import { claimKeys } from './claim-keys';
import {
  GENERATION_MS,
  generationOf,
  isTimeOrderedId,
  namedKey,
  namedTail,
  scopeMask,
  timeOrderedKey,
} from './dedupe-keys';

describe('claimKeys', () => {
  const scope = 'app/page-views-daily';

  it('writes the keys of UUIDv7 and other ids as the key functions make them', () => {
    const v7 = Array.from({ length: 500 }, () => timeOrderedUuid());
    const others = [
      randomUUID(),
      timeOrderedUuid().toUpperCase(),
      `{${timeOrderedUuid()}}`,
      timeOrderedUuid().replace(/^(.{19})./, '$1c'), // variant 110
      timeOrderedUuid().replace(/-/g, ''),
      'order-17',
      'é-not-ascii-0000-0000-000000000000',
      '',
    ];
    const ids = [...v7, ...others].sort();
    const now = generationOf(Date.now()) + GENERATION_MS / 2; // not in an overlap
    const keys = claimKeys(scope, ids, now);
    const mask = scopeMask(scope);
    const expected = ids.map((id) =>
      isTimeOrderedId(id)
        ? timeOrderedKey(id, mask)
        : namedKey(namedTail(scope, id), generationOf(now)),
    );
    expect(keys.literal).toBe(`{${expected.join(',')}}`);
    expect(keys.count).toBe(ids.length);
    expect(keys.named.map((n) => n.id).sort()).toEqual([...others].sort());
    expect(keys.oldestInserted).toBe(generationOf(now));
  });

  it('puts a named id under the previous generation too during the overlap', () => {
    const now = generationOf(Date.now()) + 1_000;
    const keys = claimKeys(scope, ['order-17'], now);
    const tail = namedTail(scope, 'order-17');
    expect(keys.literal).toBe(
      `{${namedKey(tail, generationOf(now))},${namedKey(tail, generationOf(now) - GENERATION_MS)}}`,
    );
    expect(keys.count).toBe(2);
    expect(keys.oldestInserted).toBe(generationOf(now) - GENERATION_MS);
  });

  it('masks each scope differently', () => {
    const id = timeOrderedUuid();
    const a = claimKeys('a/q', [id], Date.now()).literal;
    const b = claimKeys('b/q', [id], Date.now()).literal;
    expect(a).not.toBe(b);
    expect(a.slice(1, 13)).toBe(b.slice(1, 13)); // the time is not masked
    expect(claimKeys('a/q', [], Date.now()).literal).toBe('{}');
  });
});
