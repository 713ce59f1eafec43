import { Clock } from './clock';

describe('Clock', () => {
  afterEach(() => jest.useRealTimers());

  it('now() is the UTC instant to the millisecond, also when kept between calls', () => {
    jest.useFakeTimers({ now: Date.parse('2026-03-29T00:59:59.998Z') });
    const clock = new Clock();
    expect(clock.now()).toBe('2026-03-29T00:59:59.998Z');
    expect(clock.now()).toBe('2026-03-29T00:59:59.998Z');
    jest.setSystemTime(Date.parse('2026-03-29T00:59:59.999Z'));
    expect(clock.now()).toBe('2026-03-29T00:59:59.999Z');
    jest.setSystemTime(Date.parse('2026-03-29T01:00:00.000Z'));
    expect(clock.now()).toBe('2026-03-29T01:00:00.000Z');
    // A clock set back (NTP) is followed too.
    jest.setSystemTime(Date.parse('2026-03-29T00:59:59.998Z'));
    expect(clock.now()).toBe('2026-03-29T00:59:59.998Z');
  });

  it('today() is the calendar date in Europe/Amsterdam, across midnight and the DST change', () => {
    jest.useFakeTimers({ now: Date.parse('2026-03-28T22:59:59.999Z') });
    const clock = new Clock();
    expect(clock.today()).toBe('2026-03-28');
    jest.setSystemTime(Date.parse('2026-03-28T23:00:00.000Z'));
    expect(clock.today()).toBe('2026-03-29');
    // Summer time: midnight in Amsterdam is 22:00 UTC.
    jest.setSystemTime(Date.parse('2026-07-01T21:59:59.999Z'));
    expect(clock.today()).toBe('2026-07-01');
    jest.setSystemTime(Date.parse('2026-07-01T22:00:00.000Z'));
    expect(clock.today()).toBe('2026-07-02');
  });
});
