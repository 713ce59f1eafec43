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

  it('refuses a PORT that is not a port; reads one that is', () => {
    expect(ApiConfig.fromEnv(env({ PORT: '8080' })).port).toBe(8080);
    for (const port of ['abc', '70000', '-1', '1.5', '0x10', '1e3']) expect(() => ApiConfig.fromEnv(env({ PORT: port }))).toThrow(/^PORT must be a port number/);
  });
});
