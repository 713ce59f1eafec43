import type { PublicEventType } from '@sroi/integration-events';
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { municipalityKey } from '../integration-log';

/** File name of the webhook state in the data folder. */
export const WEBHOOKS_FILE = 'webhooks.sqlite';
const SCHEMA_VERSION = 1;

export type EndpointStatus = 'active' | 'paused' | 'failing';

/** A registered endpoint and its delivery state. */
export interface WebhookEndpoint {
  id: string;
  municipality: string;
  url: string;
  eventTypes: PublicEventType[];
  description: string | null;
  /** `whsec_…`: never leaves the service except in the answer to the registration. */
  secret: string;
  status: EndpointStatus;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  /** Position of the last event delivered (or skipped at registration); null: from the start of the log. */
  cursor: bigint | null;
  /** Failed attempts at the event after the cursor (0 when the last attempt succeeded). */
  attempts: number;
  /** When the first of those failed attempts started (ms), null without failures. */
  firstFailureAt: number | null;
  /** Not before this instant (ms); null: as soon as there is an event. */
  nextAttemptAt: number | null;
  failingSince: string | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  lastDeliveredAt: string | null;
  deliveredCount: number;
}

/** One attempt of the delivery log. */
export interface DeliveryAttempt {
  attemptedAt: string;
  eventId: string;
  eventType: string;
  position: bigint;
  /** 1 for the first attempt at this event, 2 for its first retry, … */
  attempt: number;
  outcome: 'delivered' | 'failed';
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface NewEndpoint {
  id: string;
  municipality: string;
  url: string;
  eventTypes: readonly PublicEventType[];
  description: string | null;
  secret: string;
  createdBy: string;
  cursor: bigint | null;
  now: string;
}

/** What follows a failed attempt, decided from the endpoint's failures so far. */
export type FailurePlan = { kind: 'retry'; at: number } | { kind: 'give-up' };

interface EndpointRow {
  id: string;
  municipality: string;
  municipality_key: string;
  url: string;
  event_types: string;
  description: string | null;
  secret: string;
  status: EndpointStatus;
  created_at: string;
  created_by: string;
  updated_at: string;
  cursor: string | null;
  attempts: number;
  first_failure_at: number | null;
  next_attempt_at: number | null;
  failing_since: string | null;
  last_error: string | null;
  last_attempt_at: string | null;
  last_delivered_at: string | null;
  delivered_count: number;
}

interface DeliveryRow {
  attempted_at: string;
  event_id: string;
  event_type: string;
  position: string;
  attempt: number;
  outcome: 'delivered' | 'failed';
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

const SCHEMA = `
CREATE TABLE endpoints (
  id                TEXT PRIMARY KEY,
  municipality      TEXT NOT NULL,
  municipality_key  TEXT NOT NULL,
  url               TEXT NOT NULL,
  event_types       TEXT NOT NULL,   -- JSON array of public event types
  description       TEXT,
  secret            TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('active', 'paused', 'failing')),
  created_at        TEXT NOT NULL,
  created_by        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  cursor            TEXT,            -- decimal position of the last event delivered; NULL: from the start
  attempts          INTEGER NOT NULL DEFAULT 0,
  first_failure_at  INTEGER,         -- ms
  next_attempt_at   INTEGER,         -- ms
  failing_since     TEXT,
  last_error        TEXT,
  last_attempt_at   TEXT,
  last_delivered_at TEXT,
  delivered_count   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX endpoints_by_municipality ON endpoints (municipality_key, created_at);

-- The delivery log: the last N attempts per endpoint (older rows are deleted as new ones come).
CREATE TABLE deliveries (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id  TEXT NOT NULL,
  attempted_at TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  event_type   TEXT NOT NULL,
  position     TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  outcome      TEXT NOT NULL,
  status_code  INTEGER,
  duration_ms  INTEGER NOT NULL,
  error        TEXT
);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, seq);
`;

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  municipality: r.municipality,
  url: r.url,
  eventTypes: JSON.parse(r.event_types) as PublicEventType[],
  description: r.description,
  secret: r.secret,
  status: r.status,
  createdAt: r.created_at,
  createdBy: r.created_by,
  updatedAt: r.updated_at,
  cursor: r.cursor === null ? null : BigInt(r.cursor),
  attempts: r.attempts,
  firstFailureAt: r.first_failure_at,
  nextAttemptAt: r.next_attempt_at,
  failingSince: r.failing_since,
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at,
  lastDeliveredAt: r.last_delivered_at,
  deliveredCount: r.delivered_count,
});

const toAttempt = (r: DeliveryRow): DeliveryAttempt => ({
  attemptedAt: r.attempted_at,
  eventId: r.event_id,
  eventType: r.event_type,
  position: BigInt(r.position),
  attempt: r.attempt,
  outcome: r.outcome,
  statusCode: r.status_code,
  durationMs: r.duration_ms,
  error: r.error,
});

export interface WebhookStoreOptions {
  /** Attempts kept per endpoint in the delivery log. */
  deliveryLogLimit: number;
}

/**
 * Webhook endpoints and their delivery state in `webhooks.sqlite` (WAL, synchronous FULL: a
 * cursor moves only after its delivery succeeded, and survives a crash). Every read and write is
 * scoped by municipality where a caller names one: another municipality's id is simply absent.
 * The secrets are stored as they are (they are needed to sign): the file is made owner-only.
 */
export class WebhookStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements: ReturnType<WebhookStore['prepare']>;

  constructor(
    path: string,
    private readonly options: WebhookStoreOptions = { deliveryLogLimit: 100 },
  ) {
    this.path = resolve(path);
    mkdirSync(dirname(this.path), { recursive: true });
    this.db = new Database(this.path, { timeout: 5_000 });
    try {
      try {
        chmodSync(this.path, 0o600);
      } catch {
        // not every file system has modes
      }
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.migrate();
      this.statements = this.prepare();
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  private migrate(): void {
    this.db
      .transaction(() => {
        const version = this.db.pragma('user_version', { simple: true }) as number;
        if (version === SCHEMA_VERSION) return;
        if (version !== 0) throw new Error(`${this.path} has webhook schema version ${version}; this service knows ${SCHEMA_VERSION}`);
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
  }

  private prepare() {
    const db = this.db;
    return {
      insert: db.prepare(
        `INSERT INTO endpoints (id, municipality, municipality_key, url, event_types, description, secret, status, created_at, created_by, updated_at, cursor)
         VALUES (@id, @municipality, @municipality_key, @url, @event_types, @description, @secret, 'active', @now, @created_by, @now, @cursor)`,
      ),
      count: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM endpoints WHERE municipality_key = ?'),
      byMunicipality: db.prepare<[string], EndpointRow>('SELECT * FROM endpoints WHERE municipality_key = ? ORDER BY created_at, id'),
      byId: db.prepare<[string], EndpointRow>('SELECT * FROM endpoints WHERE id = ?'),
      active: db.prepare<[], EndpointRow>(`SELECT * FROM endpoints WHERE status = 'active' ORDER BY id`),
      pause: db.prepare(`UPDATE endpoints SET status = 'paused', updated_at = ? WHERE id = ? AND municipality_key = ?`),
      resume: db.prepare(
        `UPDATE endpoints SET status = 'active', attempts = 0, first_failure_at = NULL, next_attempt_at = NULL, failing_since = NULL, updated_at = ?
         WHERE id = ? AND municipality_key = ?`,
      ),
      deleteEndpoint: db.prepare('DELETE FROM endpoints WHERE id = ? AND municipality_key = ?'),
      deleteDeliveries: db.prepare('DELETE FROM deliveries WHERE endpoint_id = ?'),
      logAttempt: db.prepare(
        `INSERT INTO deliveries (endpoint_id, attempted_at, event_id, event_type, position, attempt, outcome, status_code, duration_ms, error)
         VALUES (@endpoint_id, @attempted_at, @event_id, @event_type, @position, @attempt, @outcome, @status_code, @duration_ms, @error)`,
      ),
      trimLog: db.prepare(
        `DELETE FROM deliveries WHERE endpoint_id = @id AND seq <= (SELECT seq FROM deliveries WHERE endpoint_id = @id ORDER BY seq DESC LIMIT 1 OFFSET @keep)`,
      ),
      delivered: db.prepare(
        `UPDATE endpoints SET cursor = @cursor, attempts = 0, first_failure_at = NULL, next_attempt_at = NULL, last_error = NULL,
           last_attempt_at = @at, last_delivered_at = @at, delivered_count = delivered_count + 1 WHERE id = @id`,
      ),
      failed: db.prepare(
        `UPDATE endpoints SET attempts = @attempts, first_failure_at = @first_failure_at, next_attempt_at = @next_attempt_at, last_error = @error,
           last_attempt_at = @at, status = @status, failing_since = @failing_since, updated_at = CASE WHEN @status = status THEN updated_at ELSE @at END WHERE id = @id`,
      ),
      deliveries: db.prepare<[string, number], DeliveryRow>('SELECT * FROM deliveries WHERE endpoint_id = ? ORDER BY seq DESC LIMIT ?'),
    };
  }

  create(e: NewEndpoint): WebhookEndpoint {
    this.statements.insert.run({
      id: e.id,
      municipality: e.municipality.trim(),
      municipality_key: municipalityKey(e.municipality),
      url: e.url,
      event_types: JSON.stringify(e.eventTypes),
      description: e.description,
      secret: e.secret,
      now: e.now,
      created_by: e.createdBy,
      cursor: e.cursor === null ? null : String(e.cursor),
    });
    return this.get(e.id) as WebhookEndpoint;
  }

  /** Endpoints a municipality has registered. */
  count(municipality: string): number {
    return this.statements.count.get(municipalityKey(municipality))?.n ?? 0;
  }

  list(municipality: string): WebhookEndpoint[] {
    return this.statements.byMunicipality.all(municipalityKey(municipality)).map(toEndpoint);
  }

  /** The endpoint, if it exists (and belongs to `municipality` when one is given). */
  get(id: string, municipality?: string): WebhookEndpoint | undefined {
    const row = this.statements.byId.get(id);
    if (!row || (municipality !== undefined && row.municipality_key !== municipalityKey(municipality))) return undefined;
    return toEndpoint(row);
  }

  /** The endpoints the dispatcher works for. */
  active(): WebhookEndpoint[] {
    return this.statements.active.all().map(toEndpoint);
  }

  /** Stops calling the endpoint (an attempt under way still completes). False if there is no such endpoint. */
  pause(id: string, municipality: string, now: string): boolean {
    return this.statements.pause.run(now, id, municipalityKey(municipality)).changes === 1;
  }

  /** Active again, the undelivered event first and at once, with a fresh give-up window. */
  resume(id: string, municipality: string, now: string): boolean {
    return this.statements.resume.run(now, id, municipalityKey(municipality)).changes === 1;
  }

  delete(id: string, municipality: string): boolean {
    return this.db
      .transaction(() => {
        if (this.statements.deleteEndpoint.run(id, municipalityKey(municipality)).changes !== 1) return false;
        this.statements.deleteDeliveries.run(id);
        return true;
      })
      .immediate();
  }

  /**
   * Logs a successful attempt and moves the cursor to its event, if the endpoint still exists and
   * its cursor is still `expectedCursor` (the event was the one after it). Returns whether it did.
   */
  recordDelivered(id: string, expectedCursor: bigint | null, attempt: DeliveryAttempt): boolean {
    return this.db
      .transaction(() => {
        const row = this.statements.byId.get(id);
        if (!row || row.cursor !== (expectedCursor === null ? null : String(expectedCursor))) return false;
        this.log(id, attempt);
        this.statements.delivered.run({ id, cursor: String(attempt.position), at: attempt.attemptedAt });
        return true;
      })
      .immediate();
  }

  /**
   * Logs a failed attempt and counts it; `plan` decides (from the failures so far, this one
   * included) when to try again or whether to give up, which marks an active endpoint `failing`.
   */
  recordFailed(id: string, expectedCursor: bigint | null, attempt: DeliveryAttempt, plan: (failures: number, firstFailureAt: number) => FailurePlan): FailurePlan | null {
    return this.db
      .transaction(() => {
        const row = this.statements.byId.get(id);
        if (!row) return null;
        this.log(id, attempt);
        if (row.cursor !== (expectedCursor === null ? null : String(expectedCursor))) return null;
        const failures = row.attempts + 1;
        const firstFailureAt = row.first_failure_at ?? Date.parse(attempt.attemptedAt);
        const next = plan(failures, firstFailureAt);
        const giveUp = next.kind === 'give-up' && row.status === 'active';
        this.statements.failed.run({
          id,
          attempts: failures,
          first_failure_at: firstFailureAt,
          next_attempt_at: next.kind === 'retry' ? next.at : null,
          error: attempt.error,
          at: attempt.attemptedAt,
          status: giveUp ? 'failing' : row.status,
          failing_since: giveUp ? attempt.attemptedAt : row.failing_since,
        });
        return next;
      })
      .immediate();
  }

  /** The endpoint's delivery log, newest first. */
  deliveries(id: string, limit: number): DeliveryAttempt[] {
    return this.statements.deliveries.all(id, limit).map(toAttempt);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private log(id: string, a: DeliveryAttempt): void {
    this.statements.logAttempt.run({
      endpoint_id: id,
      attempted_at: a.attemptedAt,
      event_id: a.eventId,
      event_type: a.eventType,
      position: String(a.position),
      attempt: a.attempt,
      outcome: a.outcome,
      status_code: a.statusCode,
      duration_ms: a.durationMs,
      error: a.error,
    });
    this.statements.trimLog.run({ id, keep: this.options.deliveryLogLimit });
  }
}
