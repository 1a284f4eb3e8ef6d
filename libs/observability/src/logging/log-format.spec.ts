import { ConfigError } from '@lib/config';
import { observabilityConfig } from '../observability.config';
import { resolveLogFormat } from './log-format';

describe('resolveLogFormat', () => {
  it('is pretty on a terminal outside production, JSON otherwise', () => {
    expect(resolveLogFormat('auto', { isTTY: true, production: false })).toBe('pretty');
    expect(resolveLogFormat('auto', { isTTY: true, production: true })).toBe('json');
    expect(resolveLogFormat('auto', { isTTY: false, production: false })).toBe('json');
  });

  it('follows an explicit LOG_FORMAT whatever the surroundings', () => {
    expect(resolveLogFormat('json', { isTTY: true, production: false })).toBe('json');
    expect(resolveLogFormat('pretty', { isTTY: false, production: true })).toBe('pretty');
  });
});

describe('LOG_FORMAT', () => {
  it('defaults to auto and accepts pretty and json', () => {
    expect(observabilityConfig.load({}).LOG_FORMAT).toBe('auto');
    expect(observabilityConfig.load({ LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(observabilityConfig.load({ LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
  });

  it('refuses another value in one line naming the variable', () => {
    let error: unknown;
    try {
      observabilityConfig.load({ LOG_FORMAT: 'xml' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('LOG_FORMAT');
    expect((error as Error).message).not.toContain('\n');
  });
});
