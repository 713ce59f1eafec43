/**
 * Calendar dates as 'YYYY-MM-DD' strings, handled as proleptic Gregorian day numbers
 * (days since 1970-01-01). No Date objects, so no time-zone pitfalls.
 */
import { refuse } from './errors';

export type CalendarDate = string;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return [31, isLeapYear(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

export function parseDateParts(s: string): DateParts | undefined {
  const m = DATE_RE.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

export function isValidDate(s: unknown): s is CalendarDate {
  return typeof s === 'string' && parseDateParts(s) !== undefined;
}

/** Throws `invalid-date` unless `s` is a real calendar date 'YYYY-MM-DD'. */
export function assertDate(s: unknown, field = 'date'): CalendarDate {
  if (!isValidDate(s)) refuse('invalid-date', `${field} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(s)}`, { field });
  return s;
}

// Day numbers of the dates seen so far: valuation converts the same few dates again and again.
// Only valid dates are kept, and the cache is emptied when it grows past DAY_CACHE_MAX entries.
const DAY_CACHE_MAX = 20_000;
const dayCache = new Map<string, number>();

// Howard Hinnant's days_from_civil / civil_from_days.
export function toDayNumber(s: CalendarDate): number {
  const cached = dayCache.get(s);
  if (cached !== undefined) return cached;
  const p = parseDateParts(s);
  if (!p) throw new RangeError(`not a calendar date: ${s}`);
  const n = dayNumberOf(p);
  if (dayCache.size >= DAY_CACHE_MAX) dayCache.clear();
  dayCache.set(s, n);
  return n;
}

function dayNumberOf({ year, month, day }: DateParts): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function fromDayNumber(n: number): CalendarDate {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return formatDate({ year, month, day });
}

export function formatDate({ year, month, day }: DateParts): CalendarDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function addDays(s: CalendarDate, n: number): CalendarDate {
  return fromDayNumber(toDayNumber(s) + n);
}

/** Adds calendar months; a day that does not exist in the target month is clamped to its last day. */
export function addMonths(s: CalendarDate, n: number): CalendarDate {
  const p = parseDateParts(s);
  if (!p) throw new RangeError(`not a calendar date: ${s}`);
  const idx = p.year * 12 + (p.month - 1) + n;
  const year = Math.floor(idx / 12);
  const month = (idx % 12) + 1;
  return formatDate({ year, month, day: Math.min(p.day, daysInMonth(year, month)) });
}

/**
 * Last day of a period of `months` months starting on `first`: the day before the same calendar
 * day `months` months later. When that calendar day does not exist (31 Jan + 1 month), the period
 * ends on the last day of the target month.
 */
export function endOfMonthsPeriod(first: CalendarDate, months: number): CalendarDate {
  const p = parseDateParts(first);
  if (!p) throw new RangeError(`not a calendar date: ${first}`);
  const idx = p.year * 12 + (p.month - 1) + months;
  const year = Math.floor(idx / 12);
  const month = (idx % 12) + 1;
  const dim = daysInMonth(year, month);
  if (p.day > dim) return formatDate({ year, month, day: dim });
  return addDays(formatDate({ year, month, day: p.day }), -1);
}

export function compareDates(a: CalendarDate, b: CalendarDate): number {
  return a < b ? -1 : a > b ? 1 : 0; // 'YYYY-MM-DD' sorts lexicographically
}

export const minDate = (a: CalendarDate, b: CalendarDate): CalendarDate => (a <= b ? a : b);
export const maxDate = (a: CalendarDate, b: CalendarDate): CalendarDate => (a >= b ? a : b);

/** Number of days from `from` to `to`, both inclusive; 0 when `to` is before `from`. */
export function daysInclusive(from: CalendarDate, to: CalendarDate): number {
  return Math.max(0, toDayNumber(to) - toDayNumber(from) + 1);
}
