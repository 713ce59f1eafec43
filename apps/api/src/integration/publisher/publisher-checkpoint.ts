import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** File name, in `SROI_DATA_DIR`, of the integration publisher's checkpoint. */
export const INTEGRATION_FILE = 'integration.sqlite';

/**
 * Where the publisher has come to in `$all`: every internal event up to this position has had its
 * public events appended to the integration streams. Saved after those appends; a crash between
 * the appends and the save only makes the publisher map a few events again, and the appends
 * themselves are de-duplicated against the streams' last events (see IntegrationPublisher).
 */
export class PublisherCheckpoint {
  private readonly db: Database.Database;
  private readonly get: Database.Statement<[], { position: string }>;
  private readonly put: Database.Statement<[string]>;

  constructor(path: string) {
    const file = resolve(path);
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: 5_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS publisher_checkpoint (name TEXT PRIMARY KEY, position TEXT NOT NULL) WITHOUT ROWID');
    this.get = this.db.prepare("SELECT position FROM publisher_checkpoint WHERE name = 'integration'");
    this.put = this.db.prepare(
      "INSERT INTO publisher_checkpoint (name, position) VALUES ('integration', ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position",
    );
  }

  load(): bigint | null {
    const row = this.get.get();
    return row ? BigInt(row.position) : null;
  }

  save(position: bigint): void {
    this.put.run(String(position));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
