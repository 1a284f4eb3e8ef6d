import { consoleConfig, DEFAULT_CONSOLE_APPS } from './console.config';

describe('consoleConfig', () => {
  it('defaults to off and the four local apps', () => {
    const config = consoleConfig.load({});
    expect(config.CONSOLE_ENABLED).toBe(false);
    expect(config.CONSOLE_APPS.map((a) => a.name)).toEqual([
      'ingest',
      'aggregator',
      'log-collector',
      'pv-counter',
    ]);
    expect(DEFAULT_CONSOLE_APPS).toContain('http://127.0.0.1:3003');
  });

  it('reads name=url entries, trailing slashes dropped', () => {
    const config = consoleConfig.load({
      CONSOLE_ENABLED: 'true',
      CONSOLE_APPS: 'ingest=http://ingest:3000/, pv-counter=https://pv:3003',
    });
    expect(config.CONSOLE_ENABLED).toBe(true);
    expect(config.CONSOLE_APPS).toEqual([
      { name: 'ingest', url: 'http://ingest:3000' },
      { name: 'pv-counter', url: 'https://pv:3003' },
    ]);
  });

  it.each([
    ['no url', 'ingest'],
    ['a bad scheme', 'ingest=ftp://x'],
    ['a duplicate name', 'a=http://x,a=http://y'],
    ['an empty entry', 'a=http://x,'],
  ])('fails with one line on %s', (_, value) => {
    expect(() => consoleConfig.load({ CONSOLE_APPS: value })).toThrow(/CONSOLE_APPS/);
    try {
      consoleConfig.load({ CONSOLE_APPS: value });
    } catch (error) {
      expect((error as Error).message.split('\n')).toHaveLength(1);
    }
  });

  it('fails on a CONSOLE_ENABLED that is not a boolean', () => {
    expect(() => consoleConfig.load({ CONSOLE_ENABLED: 'yes' })).toThrow(/CONSOLE_ENABLED/);
  });
});
