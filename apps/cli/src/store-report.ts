import type { EventStore } from '@sroi/event-store';

export interface StoreReport {
  engine: EventStore['engine'];
  events: number;
  streams: number;
  headPosition: string | null;
  eventTypes: Record<string, number>;
  firstRecordedAt: string | null;
  lastRecordedAt: string | null;
}

/** Reads the whole log once and summarises what the store holds. */
export async function reportStore(store: EventStore): Promise<StoreReport> {
  const streams = new Set<string>();
  const eventTypes: Record<string, number> = {};
  let events = 0;
  let firstRecordedAt: string | null = null;
  let lastRecordedAt: string | null = null;
  for await (const event of store.readAll()) {
    events++;
    streams.add(event.streamId);
    eventTypes[event.type] = (eventTypes[event.type] ?? 0) + 1;
    firstRecordedAt ??= event.recordedAt;
    lastRecordedAt = event.recordedAt;
  }
  const head = await store.headPosition();
  return {
    engine: store.engine,
    events,
    streams: streams.size,
    headPosition: head === null ? null : String(head),
    eventTypes,
    firstRecordedAt,
    lastRecordedAt,
  };
}
