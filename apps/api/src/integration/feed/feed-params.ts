import { isPublicEventType, PUBLIC_EVENT_TYPES, type PublicEventType } from '@sroi/integration-events';
import { badRequest } from '../../platform/problem';

const POSITION = /^\d{1,20}$/;

/** `?types=a,b`: the public types (none or empty: every type); an unknown one is 400 `unknown-event-type`. */
export function parseTypes(raw: string | undefined): PublicEventType[] | undefined {
  if (raw === undefined) return undefined;
  const names = [...new Set(raw.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
  if (names.length === 0) return undefined;
  const unknown = names.filter((t) => !isPublicEventType(t));
  if (unknown.length > 0) {
    throw badRequest('unknown-event-type', `Unknown public event type${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => `'${t}'`).join(', ')}; known: ${PUBLIC_EVENT_TYPES.join(', ')}`, {
      parameter: 'types',
      unknown,
      known: [...PUBLIC_EVENT_TYPES],
    });
  }
  return names as PublicEventType[];
}

/**
 * Where to resume: the `Last-Event-ID` header, else the `lastEventId` query parameter (for browsers,
 * whose EventSource cannot set headers on the first request). Null: from the start. Empty counts as
 * absent (an EventSource sends no header before its first id); anything but a position is 400.
 */
export function parseLastEventId(header: string | string[] | undefined, query: string | undefined): bigint | null {
  const fromHeader = Array.isArray(header) ? header.join(',') : header;
  const [value, source] = fromHeader !== undefined && fromHeader.trim() !== '' ? [fromHeader.trim(), 'Last-Event-ID'] : [query?.trim() ?? '', 'lastEventId'];
  if (value === '') return null;
  if (!POSITION.test(value)) {
    throw badRequest('invalid-last-event-id', `${source} must be the id of an event of this feed (a non-negative whole number), got '${value.slice(0, 64)}'`, { parameter: source });
  }
  return BigInt(value);
}
