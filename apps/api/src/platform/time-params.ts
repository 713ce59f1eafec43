import { isValidDate, isValidInstant } from '@sroi/domain';
import { badRequest } from './problem';

const OFFSET_INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[+-](\d{2}):(\d{2})|Z)$/;

/** Date.parse rolls 30 February over into March and 24:00 into the next day: the fields are checked first. */
function realFields(m: RegExpExecArray): boolean {
  const [, date, hours, minutes, seconds = '00', offsetHours = '00', offsetMinutes = '00'] = m;
  return isValidDate(date) && +hours <= 23 && +minutes <= 59 && +seconds <= 59 && +offsetHours <= 23 && +offsetMinutes <= 59;
}

/** A query date `YYYY-MM-DD`, or 400 `invalid-query` when it is not a real calendar date. */
export function parseDateParam(value: string | undefined, name: string, fallback: string): string {
  if (value === undefined || value === '') return fallback;
  if (!isValidDate(value)) throw badRequest('invalid-query', `${name} must be a calendar date YYYY-MM-DD, got '${value}'`, { parameter: name });
  return value;
}

/** A query instant, ISO-8601: UTC as given, with an offset converted to UTC; otherwise 400. */
export function parseInstantParam(value: string | undefined, name: string, fallback: string): string {
  if (value === undefined || value === '') return fallback;
  if (isValidInstant(value)) return value;
  const m = OFFSET_INSTANT.exec(value);
  if (m && realFields(m)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  throw badRequest('invalid-query', `${name} must be an ISO-8601 instant like 2024-03-01T12:00:00Z, got '${value}'`, { parameter: name });
}

/** A non-negative integer query parameter (revisions, positions as decimal strings). */
export function parseBigIntParam(value: string | undefined, name: string): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,20}$/.test(value)) throw badRequest('invalid-query', `${name} must be a non-negative whole number, got '${value}'`, { parameter: name });
  return BigInt(value);
}
