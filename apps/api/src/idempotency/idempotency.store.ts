import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApiConfig } from '../config/api-config';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type Reservation =
  | { kind: 'reserved' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' };

interface Row {
  fingerprint: string;
  state: 'pending' | 'done';
  status: number | null;
  body: string | null;
  created_at: number;
}

/** A pending reservation older than this is taken to be abandoned (its process died). */
const ABANDONED_MS = 60_000;

/**
 * Idempotency keys in `idempotency.sqlite` (SROI_DATA_DIR), per principal: the key is reserved
 * before the command runs (so concurrent duplicates cannot both execute) and completed with the
 * response, which later requests with the same key and body get back.
 */
@Injectable()
export class IdempotencyStore implements OnApplicationShutdown {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement;
  private readonly complete: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly takeOver: Database.Statement;

  constructor(config: ApiConfig) {
    const file = config.file('idempotency.sqlite');
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      subject TEXT NOT NULL,
      key TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      state TEXT NOT NULL,
      status INTEGER,
      body TEXT,
      created_at INTEGER NOT NULL,
      completed_at INTEGER,
      PRIMARY KEY (subject, key)
    ) WITHOUT ROWID`);
    this.insert = this.db.prepare(`INSERT OR IGNORE INTO idempotency_keys (subject, key, fingerprint, state, created_at) VALUES (?, ?, ?, 'pending', ?)`);
    this.select = this.db.prepare(`SELECT fingerprint, state, status, body, created_at FROM idempotency_keys WHERE subject = ? AND key = ?`);
    this.complete = this.db.prepare(`UPDATE idempotency_keys SET state = 'done', status = ?, body = ?, completed_at = ? WHERE subject = ? AND key = ? AND state = 'pending'`);
    this.remove = this.db.prepare(`DELETE FROM idempotency_keys WHERE subject = ? AND key = ? AND state = 'pending'`);
    this.takeOver = this.db.prepare(`UPDATE idempotency_keys SET fingerprint = ?, created_at = ? WHERE subject = ? AND key = ? AND state = 'pending' AND created_at = ?`);
  }

  reserve(subject: string, key: string, fingerprint: string): Reservation {
    const now = Date.now();
    if (this.insert.run(subject, key, fingerprint, now).changes === 1) return { kind: 'reserved' };
    const row = this.select.get(subject, key) as Row | undefined;
    if (!row) return this.reserve(subject, key, fingerprint);
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (row.state === 'done') return { kind: 'replay', response: { status: row.status ?? 200, body: row.body === null ? null : JSON.parse(row.body) } };
    if (now - row.created_at > ABANDONED_MS && this.takeOver.run(fingerprint, now, subject, key, row.created_at).changes === 1) return { kind: 'reserved' };
    return { kind: 'in-progress' };
  }

  /** The stored answer once the reservation completes, or undefined while it is pending. */
  lookup(subject: string, key: string): Reservation {
    const row = this.select.get(subject, key) as Row | undefined;
    if (!row) return { kind: 'reserved' };
    if (row.state === 'done') return { kind: 'replay', response: { status: row.status ?? 200, body: row.body === null ? null : JSON.parse(row.body) } };
    return { kind: 'in-progress' };
  }

  completeWith(subject: string, key: string, response: StoredResponse): void {
    this.complete.run(response.status, JSON.stringify(response.body ?? null), Date.now(), subject, key);
  }

  release(subject: string, key: string): void {
    this.remove.run(subject, key);
  }

  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}
