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
      // The same string object all day: the cached status answers compare their date with it (by reference, when it is one).
      if (today !== this.todayValue) this.todayValue = today;
      this.todaySecond = second;
    }
    return this.todayValue;
  }
}
