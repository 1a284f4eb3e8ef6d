import { isConfigError, parseConfig } from '@lib/config';
import {
  consumerGroup,
  consumerMaxInFlight,
  DEFAULT_CONSUMER_MAX_IN_FLIGHT,
  queueConfig,
} from './queue.config';

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

describe('queue config: CONSUMER_MAX_IN_FLIGHT', () => {
  it("is the variable when set, else the app's default, else 10 000", () => {
    const unset = parseConfig(queueConfig.schema, {});
    expect(consumerMaxInFlight(unset, {})).toBe(DEFAULT_CONSUMER_MAX_IN_FLIGHT);
    expect(DEFAULT_CONSUMER_MAX_IN_FLIGHT).toBe(10_000);
    expect(consumerMaxInFlight(unset, { defaultMaxInFlight: 40_000 })).toBe(40_000);
    const set = parseConfig(queueConfig.schema, { CONSUMER_MAX_IN_FLIGHT: '500' });
    expect(consumerMaxInFlight(set, { defaultMaxInFlight: 40_000 })).toBe(500);
  });

  it('rejects a window above the maximum, naming the variable', () => {
    expect(() => parseConfig(queueConfig.schema, { CONSUMER_MAX_IN_FLIGHT: '100001' })).toThrow(
      /CONSUMER_MAX_IN_FLIGHT/,
    );
  });
});
