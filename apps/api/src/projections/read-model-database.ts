import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WalCheckpointer } from '@sroi/event-store';

/** File name of the read models in `SROI_DATA_DIR`. */
export const READ_MODELS_FILE = 'read-models.sqlite';

/**
 * Version of the read-model schema *and* of what the projections compute. Bump it whenever a table
 * or the meaning of a column changes: a file of another version is emptied on open, and the
 * projections rebuild it from position 0 (a read model is derived data, never migrated).
 */
export const READ_MODEL_SCHEMA_VERSION = 5;

export type ReadModelSynchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

export interface ReadModelDatabaseOptions {
  /**
   * Durability of a commit. NORMAL by default, on purpose (the event store itself runs at FULL):
   * in WAL mode NORMAL is still atomic and consistent, so after a power loss the file holds a
   * prefix of the committed transactions, each with its checkpoint. The runner then resumes from
   * the older checkpoint and re-applies the lost tail from the store, which keeps every event. A
   * read model can always be rebuilt from the store; FULL would only buy an fsync per batch.
   */
  synchronous?: ReadModelSynchronous;
  /** How long SQLite waits for a lock held by another connection (the rebuild tool), in ms. */
  busyTimeoutMs?: number;
  /**
   * 'building': a file nobody else reads yet (a rebuild): no journal while writing, a larger page
   * cache; `finishBuilding()` turns it into a normal WAL file before it is swapped in.
   */
  mode?: 'live' | 'building';
  /** SQLite page cache, in KiB. Default 16,384. */
  cacheKiB?: number;
}

const TABLES = ['checkpoints', 'contracts', 'integration_events'] as const;

/** Indexes only the queries use: a rebuild creates them once, after the bulk load. */
const SECONDARY_INDEXES = `
CREATE INDEX IF NOT EXISTS contracts_by_municipality ON contracts (municipality_key, contract_id);
CREATE INDEX IF NOT EXISTS contracts_by_contractor ON contracts (contractor_kvk, contract_id);
CREATE INDEX IF NOT EXISTS integration_events_by_municipality ON integration_events (municipality_key, position);
`;

const SCHEMA = `
CREATE TABLE checkpoints (
  projection TEXT PRIMARY KEY,
  -- position of the last event of $all this projection handled (decimal; exclusive resume point)
  position   TEXT NOT NULL
) WITHOUT ROWID;

-- One row per contract: the indexed columns, revision, position, and a snapshot of its figures
-- as of snapshot_as_of (NULL after every change; computed from the contract's folded stream for
-- the date asked, see SqliteContractReadModels). Kept small: every event of its contract rewrites it.
CREATE TABLE contracts (
  contract_id         TEXT PRIMARY KEY,
  municipality        TEXT NOT NULL,
  -- municipalityKey(municipality): the portfolio filters on it, as the scope check compares names
  municipality_key    TEXT NOT NULL,
  contractor_kvk      TEXT NOT NULL,
  contractor_name     TEXT NOT NULL,
  title               TEXT NOT NULL,
  tender_reference    TEXT NOT NULL,
  sroi_basis_points   INTEGER NOT NULL,
  start_date          TEXT NOT NULL,
  end_date            TEXT NOT NULL,
  closed              INTEGER NOT NULL,
  revision            INTEGER NOT NULL,
  position            TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  snapshot_as_of      TEXT,
  status              TEXT,
  catalogue_id        TEXT,
  catalogue_version   TEXT,
  contract_value_cents INTEGER,
  obligation_cents    INTEGER,
  realised_cents      INTEGER,
  committed_cents     INTEGER,
  verified_cents      INTEGER,
  awaiting_agreement  INTEGER
);

-- The public integration events (the store's integration-* streams), for the SSE feed and the
-- webhooks: keyed by the event's global position in the store, which is the feed's cursor.
CREATE TABLE integration_events (
  position         INTEGER PRIMARY KEY,
  event_id         TEXT NOT NULL,
  type             TEXT NOT NULL,
  municipality_key TEXT NOT NULL,
  municipality     TEXT NOT NULL,
  contract_id      TEXT NOT NULL,
  json             TEXT NOT NULL
);
${SECONDARY_INDEXES}
`;

/** The read-model SQLite file: schema, checkpoints and transactions. One connection per process. */
export class ReadModelDatabase {
  readonly path: string;
  readonly db: Database.Database;
  /** True when the file was created now or emptied because it held another schema version. */
  readonly created: boolean;
  private readonly getCheckpoint: Database.Statement<[string], { position: string }>;
  private readonly putCheckpoint: Database.Statement<[string, string]>;
  private closed = false;
  private checkpointer: WalCheckpointer | undefined;

  constructor(path: string, options: ReadModelDatabaseOptions = {}) {
    this.path = resolve(path);
    mkdirSync(dirname(this.path), { recursive: true });
    this.db = new Database(this.path, { timeout: options.busyTimeoutMs ?? 5_000 });
    try {
      if (options.mode === 'building') {
        this.db.pragma('page_size = 8192');
        this.db.pragma('journal_mode = OFF');
        this.db.pragma(`cache_size = -${options.cacheKiB ?? 16_384}`);
      } else {
        this.db.pragma('journal_mode = WAL');
        // A batch rewrites rows all over the file, and a checkpoint copies them back and syncs the
        // file: that runs on a worker thread, not in the runner's commits (see WalCheckpointer).
        this.checkpointer = WalCheckpointer.forConnection(this.db, this.path, { synchronous: options.synchronous ?? 'NORMAL', what: 'the read-model database', fallbackPages: 10_000 });
        this.db.pragma(`cache_size = -${options.cacheKiB ?? 16_384}`);
      }
      this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
      this.created = this.migrate();
      if (options.mode === 'building') {
        // Nobody queries the file while it is built: maintain the secondary indexes only once, at the end.
        this.db.exec('DROP INDEX IF EXISTS contracts_by_municipality; DROP INDEX IF EXISTS contracts_by_contractor; DROP INDEX IF EXISTS integration_events_by_municipality;');
      }
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.getCheckpoint = this.db.prepare('SELECT position FROM checkpoints WHERE projection = ?');
    this.putCheckpoint = this.db.prepare(
      'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
    );
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE): all of it commits, or none of it. */
  transaction<T>(fn: () => T): T {
    const result = this.db.transaction(fn).immediate();
    if (this.checkpointer?.committed()) this.db.pragma('wal_checkpoint(PASSIVE)');
    return result;
  }

  checkpoint(projection: string): bigint | null {
    const row = this.getCheckpoint.get(projection);
    return row ? BigInt(row.position) : null;
  }

  /**
   * The checkpoints of several projections as one snapshot of the file (one read transaction):
   * read one by one, another process's commit in between would make them differ.
   */
  checkpoints(projections: readonly string[]): (bigint | null)[] {
    return this.db.transaction(() => projections.map((p) => this.checkpoint(p))).deferred();
  }

  /** Saves a checkpoint; call it inside the transaction that applied the events up to `position`. */
  saveCheckpoint(projection: string, position: bigint): void {
    this.putCheckpoint.run(projection, String(position));
  }

  /** Ends 'building' mode: the file becomes a WAL database like a live one. */
  finishBuilding(): void {
    this.db.exec(SECONDARY_INDEXES);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** No checkpoint and no row in any table: nothing was projected into this file yet. */
  isEmpty(): boolean {
    return TABLES.every((table) => this.db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() === undefined);
  }

  /** Deletes every row (in one transaction): the file is as new. */
  clear(): void {
    this.transaction(() => TABLES.forEach((table) => this.db.exec(`DELETE FROM ${table}`)));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The worker's connection closes first: the last one to close checkpoints the WAL and removes it.
    this.checkpointer?.close();
    this.db.close();
  }

  /** Creates the schema, or empties a file of another version. Returns true when it (re)created it. */
  private migrate(): boolean {
    return this.db
      .transaction(() => {
        const version = this.db.pragma('user_version', { simple: true }) as number;
        if (version === READ_MODEL_SCHEMA_VERSION) return false;
        for (const table of this.db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()) {
          this.db.exec(`DROP TABLE "${table.name.replace(/"/g, '""')}"`);
        }
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${READ_MODEL_SCHEMA_VERSION}`);
        return true;
      })
      .immediate();
  }
}

/** Every row of every read-model table in a stable order: what rebuild equality compares. */
export function dumpReadModels(db: Database.Database): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const key = table === 'checkpoints' ? 'projection' : table === 'contracts' ? 'contract_id' : 'position';
    out[table] = db.prepare(`SELECT * FROM ${table} ORDER BY ${key}`).all();
  }
  out['user_version'] = [db.pragma('user_version', { simple: true })];
  return out;
}
