/** ISO-8601 UTC instants ('2024-03-01T12:00:00Z', optional fraction up to nanoseconds). */
import { refuse } from './errors';
import { parseDateParts } from './dates';

export type Instant = string;

const INSTANT_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** A sortable key: seconds since the epoch and nanoseconds, exact. */
export function instantKey(s: Instant): [number, number] {
  const m = INSTANT_RE.exec(s);
  const p = m ? parseDateParts(m[1]) : undefined;
  if (!m || !p) refuse('invalid-instant', `expected an ISO-8601 UTC instant like 2024-03-01T12:00:00Z, got ${JSON.stringify(s)}`);
  const h = Number(m[2]);
  const mi = Number(m[3]);
  const sec = Number(m[4]);
  if (h > 23 || mi > 59 || sec > 59) refuse('invalid-instant', `invalid time in instant ${s}`);
  const seconds = Date.UTC(p.year, p.month - 1, p.day, h, mi, sec) / 1000;
  const nanos = Number((m[5] ?? '').padEnd(9, '0'));
  return [seconds, nanos];
}

export function isValidInstant(s: unknown): s is Instant {
  if (typeof s !== 'string') return false;
  try {
    instantKey(s);
    return true;
  } catch {
    return false;
  }
}

export function compareInstants(a: Instant, b: Instant): number {
  const [sa, na] = instantKey(a);
  const [sb, nb] = instantKey(b);
  return sa !== sb ? Math.sign(sa - sb) : Math.sign(na - nb);
}
