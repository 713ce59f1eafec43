/** ISO-8601 UTC instants ('2024-03-01T12:00:00Z', optional fraction up to nanoseconds). */
import { refuse } from './errors';
import { daysInMonth, parseDateParts } from './dates';

export type Instant = string;

const INSTANT_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
};
const num2 = (s: string, i: number): number => {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
};

/**
 * The key of an instant in the common shape 'YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z' read character by
 * character, or undefined for anything else (then the regular expression decides). It accepts a
 * subset of what INSTANT_RE and the checks of instantKey accept, and gives the same key.
 */
function fastInstantKey(s: string): [number, number] | undefined {
  const len = s.length;
  if (len < 20 || len > 30 || s.charCodeAt(len - 1) !== 90 /* Z */) return undefined;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const y1 = num2(s, 0);
  const y2 = num2(s, 2);
  const month = num2(s, 5);
  const day = num2(s, 8);
  const h = num2(s, 11);
  const mi = num2(s, 14);
  const sec = num2(s, 17);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return undefined;
  const year = y1 * 100 + y2;
  if (day > daysInMonth(year, month)) return undefined;
  let nanos = 0;
  if (len > 20) {
    // '.' then 1 to 9 digits before the Z
    if (s.charCodeAt(19) !== 46 || len < 22) return undefined;
    let scale = 100_000_000;
    for (let i = 20; i < len - 1; i++) {
      const d = digit(s, i);
      if (d < 0) return undefined;
      nanos += d * scale;
      scale /= 10;
    }
  }
  return [Date.UTC(year, month - 1, day, h, mi, sec) / 1000, nanos];
}

/** A sortable key: seconds since the epoch and nanoseconds, exact. */
export function instantKey(s: Instant): [number, number] {
  if (typeof s === 'string') {
    const k = fastInstantKey(s);
    if (k) return k;
  }
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
