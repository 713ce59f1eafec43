import { ApiConfig } from './api-config';

describe('ApiConfig.fromEnv', () => {
  const env = (extra: Record<string, string>) => ({ SROI_DATA_DIR: '/tmp/sroi-config-spec', ...extra });

  it('reads SROI_DEMO as on or off, on when unset', () => {
    expect(ApiConfig.fromEnv(env({})).demo).toBe(true);
    for (const off of ['off', 'OFF', ' off', 'false', 'no', '0']) expect(ApiConfig.fromEnv(env({ SROI_DEMO: off })).demo).toBe(false);
    for (const on of ['on', 'true', 'yes', '1']) expect(ApiConfig.fromEnv(env({ SROI_DEMO: on })).demo).toBe(true);
  });

  it('refuses a SROI_DEMO it does not know (demo contracts are events for good)', () => {
    expect(() => ApiConfig.fromEnv(env({ SROI_DEMO: 'maybe' }))).toThrow("SROI_DEMO must be on or off, not 'maybe'");
  });

  it('runs the integration publisher in a thread of its own only when SROI_PUBLISHER_THREAD is on', () => {
    expect(ApiConfig.fromEnv(env({})).publisherThread).toBe(false);
    expect(ApiConfig.fromEnv(env({ SROI_PUBLISHER_THREAD: 'on' })).publisherThread).toBe(true);
    expect(ApiConfig.fromEnv(env({ SROI_PUBLISHER_THREAD: 'off' })).publisherThread).toBe(false);
    expect(() => ApiConfig.fromEnv(env({ SROI_PUBLISHER_THREAD: 'thread' }))).toThrow("SROI_PUBLISHER_THREAD must be on or off, not 'thread'");
  });

  it('refuses a PORT that is not a port; reads one that is', () => {
    expect(ApiConfig.fromEnv(env({ PORT: '8080' })).port).toBe(8080);
    for (const port of ['abc', '70000', '-1', '1.5', '0x10', '1e3']) expect(() => ApiConfig.fromEnv(env({ PORT: port }))).toThrow(/^PORT must be a port number/);
  });
});
