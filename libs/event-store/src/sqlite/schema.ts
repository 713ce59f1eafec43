import type Database from 'better-sqlite3';

/**
 * Schema of the embedded store. `PRAGMA user_version` holds the version so that a later release
 * can migrate a file in place; a file written by a newer release is refused rather than misread.
 *
 * `position` is the rowid: SQLite assigns max(rowid)+1 inside the write transaction, and only one
 * write transaction runs at a time, so commit order is position order and a reader never sees a
 * gap that is filled in later. Rows are never deleted, so a position is never reused.
 */
export const SCHEMA_VERSION = 1;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE events (
      position    INTEGER PRIMARY KEY,
      stream_id   TEXT    NOT NULL,
      revision    INTEGER NOT NULL,
      event_id    TEXT    NOT NULL,
      type        TEXT    NOT NULL,
      data        TEXT    NOT NULL,
      metadata    TEXT    NOT NULL,
      recorded_at TEXT    NOT NULL
    );
    CREATE UNIQUE INDEX events_by_stream ON events (stream_id, revision);
    CREATE UNIQUE INDEX events_by_id ON events (event_id);
  `,
};

export class UnsupportedSchemaError extends Error {
  constructor(found: number) {
    super(`The event store file has schema version ${found}; this release reads up to ${SCHEMA_VERSION}`);
    this.name = 'UnsupportedSchemaError';
  }
}

/** Brings the file to the current schema; safe when several processes open a new file at once. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current === SCHEMA_VERSION) return;
  if (current > SCHEMA_VERSION) throw new UnsupportedSchemaError(current);
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    let version = db.pragma('user_version', { simple: true }) as number;
    while (version < SCHEMA_VERSION) {
      version++;
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version}`);
    }
  }).immediate();
}
