import { Injectable } from '@nestjs/common';

const AMSTERDAM = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * The service's clock. "Today" is the calendar date in Europe/Amsterdam (the municipalities' time
 * zone); "now" is the UTC instant. Tests may replace it.
 */
@Injectable()
export class Clock {
  now(): string {
    return new Date().toISOString();
  }

  today(): string {
    return AMSTERDAM.format(new Date());
  }
}
