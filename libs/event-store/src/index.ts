export * from './port';
export * from './errors';
export { uuidv7, isUuid } from './uuid-v7';
export { SqliteEventStore, type SqliteEventStoreOptions, type SynchronousMode } from './sqlite/sqlite-event-store';
export { StoredEvent, toRecordedEvent, type EventRow } from './sqlite/stored-event';
export { SCHEMA_VERSION, UnsupportedSchemaError } from './sqlite/schema';
export { WalCheckpointer, type WalCheckpointerOptions, type WalCheckpointerStats } from './sqlite/wal-checkpointer';
export { eventStoreConfigFromEnv, openEventStore, type EventStoreConfig } from './config';
export { limitClause, StatementCache } from './sqlite/sql-limit';
