import { Injectable } from '@nestjs/common';

const AMSTERDAM = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * The service's clock. "Today" is the calendar date in Europe/Amsterdam (the municipalities' time
 * zone); "now" is the UTC instant. Tests may replace it.
 */
@Injectable()
export class Clock {
  private nowMs = Number.NaN;
  private nowValue = '';

  /**
   * Kept for the millisecond it was formatted in (a status read formats "now" for its `knownAt`,
   * thousands of times a second): exact, as the ISO string has millisecond precision.
   */
  now(): string {
    const ms = Date.now();
    if (ms !== this.nowMs) {
      this.nowValue = new Date(ms).toISOString();
      this.nowMs = ms;
    }
    return this.nowValue;
  }

  private todaySecond = Number.NaN;
  private todayValue = '';

  /**
   * Formatting with Intl costs a few µs, on every status read: the date is kept for the wall-clock
   * second it was computed in. That is exact: Europe/Amsterdam's midnight falls on a whole second.
   */
  today(): string {
    const ms = Date.now();
    const second = Math.floor(ms / 1000);
    if (second !== this.todaySecond) {
      const today = AMSTERDAM.format(new Date(ms));
      // Kept as the same string object all day: a cached status answer made today holds this very
      // object as its date, and V8 finds two references to one string equal without reading them.
      if (today !== this.todayValue) this.todayValue = today;
      this.todaySecond = second;
    }
    return this.todayValue;
  }
}
