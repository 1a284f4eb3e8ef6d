import { isConfigError, parseConfig } from '@lib/config';
import { consumerGroup, queueConfig } from './queue.config';

describe('queue config: CONSUMER_GROUP', () => {
  it("defaults the group to the app's name, and the module option wins over the variable", () => {
    const unset = parseConfig(queueConfig.schema, {});
    expect(consumerGroup(unset, 'pv-counter', {})).toBe('pv-counter');
    const set = parseConfig(queueConfig.schema, { CONSUMER_GROUP: 'pv-counter-shadow' });
    expect(consumerGroup(set, 'pv-counter', {})).toBe('pv-counter-shadow');
    expect(consumerGroup(set, 'pv-counter', { group: 'explicit' })).toBe('explicit');
  });

  it('rejects a group that cannot be a topic or queue name part, naming the variable', () => {
    let error: unknown;
    try {
      parseConfig(queueConfig.schema, { CONSUMER_GROUP: 'has space' });
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect(String((error as Error).message)).toContain('CONSUMER_GROUP');
  });
});
