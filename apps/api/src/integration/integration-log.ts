import type { PublicEventType } from '@sroi/integration-events';

/**
 * The public events as integrators receive them, in the order of the store's global log.
 *
 * The public events are appended to the event store (one stream per municipality,
 * `integration-<municipality-slug>`, so EventStoreDB persistent subscriptions can read them);
 * this log is a projection of those streams into SQLite (`integration.sqlite`), indexed for the
 * SSE feed and the webhook dispatcher.
 */
export interface IntegrationLogEntry {
  /** Global position of the public event in the store: the SSE `id:` and the resume cursor. */
  position: bigint;
  /** The envelope's stable `id` (the Standard Webhooks `webhook-id`). */
  eventId: string;
  type: PublicEventType;
  municipality: string;
  contractId: string;
  /** The envelope (`PublicEventEnvelope`) as JSON text, exactly as it is sent. */
  json: string;
}

export interface IntegrationLogQuery {
  /** Exclusive: entries with a position strictly greater; null reads from the start. */
  after: bigint | null;
  /** Only this municipality's entries (compared trimmed and case-insensitively). */
  municipality?: string;
  /** Only these types (none given: every type). */
  types?: readonly PublicEventType[];
  contractId?: string;
  /** At most this many entries, in position order. */
  limit: number;
}

export abstract class IntegrationLog {
  /** Entries after `query.after` in position order. Synchronous: it reads a local SQLite file. */
  abstract read(query: IntegrationLogQuery): IntegrationLogEntry[];
  /** Position of the last entry, or null while the log is empty. */
  abstract lastPosition(): bigint | null;
  /** Calls `listener` after each batch of new entries is committed; returns the unsubscribe function. */
  abstract onAppended(listener: () => void): () => void;
}

/** Municipality key used for scoping: trimmed, lower case (as `sameMunicipality` compares). */
export const municipalityKey = (municipality: string): string => municipality.trim().toLowerCase();
