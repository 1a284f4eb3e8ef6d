import { ConsoleSessions } from './console-sessions';

describe('ConsoleSessions', () => {
  it('finds a token until it expires, then forgets it', () => {
    const sessions = new ConsoleSessions(1_000);
    const { token, expiresAt } = sessions.open('admin-key', 10_000);
    expect(expiresAt).toBe(11_000);
    expect(sessions.find(token, 10_999)?.key).toBe('admin-key');
    expect(sessions.find(token, 11_000)).toBeUndefined();
    expect(sessions.find(token, 10_500)).toBeUndefined();
  });

  it('refuses unknown and non-string tokens', () => {
    const sessions = new ConsoleSessions();
    sessions.open(undefined);
    expect(sessions.find('nope')).toBeUndefined();
    expect(sessions.find(['a'])).toBeUndefined();
    expect(sessions.find(undefined)).toBeUndefined();
  });

  it('gives each session its own token', () => {
    const sessions = new ConsoleSessions();
    expect(sessions.open('a').token).not.toBe(sessions.open('a').token);
  });
});
