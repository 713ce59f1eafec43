import { InvalidAppendError } from './errors';
import type { EventData, ExpectedRevision } from './port';
import { isUuid } from './uuid-v7';

/** Checks an append before any engine sees it, so that every engine refuses the same input. */
export function validateAppend(streamId: string, events: EventData[], expected: ExpectedRevision): void {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new InvalidAppendError('A stream id must be a non-empty string');
  }
  if (streamId.startsWith('$')) {
    throw new InvalidAppendError(`Stream ids starting with '$' are reserved for the system: '${streamId}'`);
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidAppendError('An append needs at least one event');
  }
  if (typeof expected === 'bigint' && expected < 0n) {
    throw new InvalidAppendError(`An expected revision cannot be negative: ${expected}`);
  }
  const ids = new Set<string>();
  for (const event of events) {
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidAppendError('Every event needs a non-empty type');
    }
    // EventStoreDB treats them as system events: left out of $all and its subscriptions, while SQLite would deliver them.
    if (event.type.startsWith('$')) {
      throw new InvalidAppendError(`Event types starting with '$' are reserved for the system: '${event.type}'`);
    }
    if (event.id !== undefined) {
      if (typeof event.id !== 'string' || !isUuid(event.id)) {
        throw new InvalidAppendError(`Event id is not a UUID: '${String(event.id)}'`);
      }
      const id = event.id.toLowerCase();
      if (ids.has(id)) throw new InvalidAppendError(`Event id ${id} appears twice in one append`);
      ids.add(id);
    }
    if (event.data === undefined) throw new InvalidAppendError(`Event '${event.type}' has no data`);
  }
}
