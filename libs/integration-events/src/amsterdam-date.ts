/**
 * The Europe/Amsterdam calendar date of an instant, with `Intl.DateTimeFormat` (pure: no clock, no
 * I/O; the time-zone rules are those of the runtime's ICU data).
 */
const HOUR_MS = 3_600_000;
/** From 1970 on, Amsterdam's UTC offset changes only on whole UTC hours, so it is cached per hour. */
const CACHE_FROM_MS = 0;
const CACHE_MAX = 4_096;

let formatter: Intl.DateTimeFormat | undefined;
const offsets = new Map<number, number>();

/** UTC offset of Europe/Amsterdam at `ms`, in milliseconds. */
function offsetAt(ms: number): number {
  formatter ??= new Intl.DateTimeFormat('en-US', {
    timeZone: 'Europe/Amsterdam',
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p: Record<string, number> = {};
  for (const part of formatter.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p['year'], p['month'] - 1, p['day'], p['hour'], p['minute'], p['second']);
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The calendar date ('YYYY-MM-DD') in Europe/Amsterdam at an ISO-8601 instant
 * ('2024-03-30T23:30:00Z' → '2024-03-31'). Throws on an unparsable instant.
 */
export function amsterdamDateOf(instant: string): string {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 instant: ${JSON.stringify(instant)}`);
  let offset: number;
  if (ms >= CACHE_FROM_MS) {
    const hour = Math.floor(ms / HOUR_MS);
    const cached = offsets.get(hour);
    if (cached !== undefined) offset = cached;
    else {
      offset = offsetAt(hour * HOUR_MS);
      if (offsets.size >= CACHE_MAX) offsets.clear();
      offsets.set(hour, offset);
    }
  } else offset = offsetAt(ms);
  return new Date(ms + offset).toISOString().slice(0, 10);
}
