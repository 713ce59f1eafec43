import { join } from 'node:path';
import type { EventStore } from './port';
import { SqliteEventStore, type SynchronousMode } from './sqlite/sqlite-event-store';

/** Where the store lives, as read from the environment. */
export type EventStoreConfig =
  | { engine: 'eventstoredb'; connectionString: string }
  | { engine: 'sqlite'; path: string; synchronous: SynchronousMode };

const SYNCHRONOUS_MODES: readonly SynchronousMode[] = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/**
 * `EVENTSTORE_CONNECTION_STRING` set → EventStoreDB; otherwise the embedded SQLite file
 * `events.sqlite` in `SROI_DATA_DIR` (default `./data`). `SROI_SQLITE_SYNCHRONOUS` may lower
 * durability for throw-away data (default FULL).
 */
export function eventStoreConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EventStoreConfig {
  const connectionString = env['EVENTSTORE_CONNECTION_STRING']?.trim();
  if (connectionString) {
    // The client's own parse error names neither the variable nor what is expected.
    if (!/^esdb(\+discover)?:\/\/\S+$/i.test(connectionString)) {
      throw new Error(`EVENTSTORE_CONNECTION_STRING must be an EventStoreDB connection string like esdb://host:2113?tls=false, not '${connectionString}'`);
    }
    return { engine: 'eventstoredb', connectionString };
  }
  const synchronous = (env['SROI_SQLITE_SYNCHRONOUS']?.trim().toUpperCase() || 'FULL') as SynchronousMode;
  if (!SYNCHRONOUS_MODES.includes(synchronous)) {
    throw new Error(`SROI_SQLITE_SYNCHRONOUS must be one of ${SYNCHRONOUS_MODES.join(', ')}, not '${synchronous}'`);
  }
  return { engine: 'sqlite', path: join(env['SROI_DATA_DIR']?.trim() || './data', 'events.sqlite'), synchronous };
}

export async function openEventStore(config: EventStoreConfig = eventStoreConfigFromEnv()): Promise<EventStore> {
  if (config.engine === 'sqlite') return new SqliteEventStore({ path: config.path, synchronous: config.synchronous });
  // Required here, not imported at the top: the client and gRPC cost about 250 ms and 20 MB of RSS
  // in every process and worker thread that loads this library (the rebuild's threads, say).
  const { EventStoreDbEventStore } = require('./eventstoredb') as typeof import('./eventstoredb');
  return EventStoreDbEventStore.fromConnectionString(config.connectionString);
}
