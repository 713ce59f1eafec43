import { limitClause, StatementCache, type RecordedEvent } from '@sroi/event-store';
import { isPublicEventType, PUBLIC_EVENT_TYPES } from '@sroi/integration-events';
import type Database from 'better-sqlite3';
import { MalformedContractEventError } from '../projections/contract-events';
import type { Projection } from '../projections/contract-projection';
import { IntegrationLog, municipalityKey, type IntegrationLogEntry, type IntegrationLogQuery } from './integration-log';
import { isIntegrationStream } from './integration-streams';

type Row = [position: bigint, eventId: string, type: string, municipality: string, contractId: string, json: string];

/**
 * SQL: whether the JSON text `json` of a stored event of type `type` is an integration event the
 * log takes: the checks {@link IntegrationLogProjection.apply} makes in JavaScript. CASE: the JSON
 * functions raise an error on malformed JSON, so they run only on valid JSON; IS: a missing field
 * is NULL, which must make the check false, not NULL.
 */
export function integrationEventCheckSql(json: string, type: string): string {
  return `CASE WHEN ${type} IN (${PUBLIC_EVENT_TYPES.map((t) => `'${t}'`).join(', ')}) AND json_valid(${json}) THEN
      json_type(${json}) IS 'object' AND json_type(${json}, '$.id') IS 'text' AND json_type(${json}, '$.type') IS 'text'
      AND json_extract(${json}, '$.type') IS ${type} AND json_type(${json}, '$.municipality') IS 'text' AND json_type(${json}, '$.contractId') IS 'text'
    ELSE 0 END`;
}

/**
 * SQL: `municipalityKey` (trim, lower case) of the municipality `municipality`, in SQLite for an
 * ASCII name (its length in bytes is its length in characters; JavaScript's `trim` then removes
 * just these six characters, and `lower` is `toLowerCase`), else by the JavaScript function itself
 * (defined on the connection by {@link defineMunicipalityKey}). Calling into JavaScript for every
 * row made the rebuild's copy ~10 % slower (three paired runs on 1.07M events).
 */
export function municipalityKeySql(municipality: string): string {
  return `CASE WHEN length(CAST(${municipality} AS BLOB)) = length(${municipality})
    THEN lower(trim(${municipality}, char(9, 10, 11, 12, 13, 32))) ELSE sroi_municipality_key(${municipality}) END`;
}

/** Defines `sroi_municipality_key` (for {@link municipalityKeySql}) on a connection. */
export function defineMunicipalityKey(db: Database.Database): void {
  db.function('sroi_municipality_key', { deterministic: true }, (m: unknown) => (typeof m === 'string' ? municipalityKey(m) : null));
}

/**
 * The integration log as a projection of the store's `integration-*` streams into the read-model
 * file (table `integration_events`, keyed by the public event's global position). It runs in the
 * same runner and transaction as the contract projection, so it shares their checkpoint, resumes
 * exactly after a restart and is rebuilt by `npm run rebuild` like them.
 */
export class IntegrationLogProjection extends IntegrationLog implements Projection {
  readonly name = 'integration-log';
  private readonly insert: Database.Statement;
  private readonly insertText: Database.Statement;
  private readonly last: Database.Statement;
  private readonly selects = new StatementCache((sql) => this.db.prepare(sql).raw(true).safeIntegers(true));
  private readonly listeners = new Set<() => void>();
  private appended = false;

  constructor(private readonly db: Database.Database) {
    super();
    this.insert = db.prepare(
      'INSERT INTO integration_events (position, event_id, type, municipality_key, municipality, contract_id, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    defineMunicipalityKey(db);
    const municipality = "json_extract(@json, '$.municipality')";
    this.insertText = db.prepare(
      `INSERT INTO integration_events (position, event_id, type, municipality_key, municipality, contract_id, json)
       SELECT @position, json_extract(@json, '$.id'), @type, ${municipalityKeySql(municipality)}, ${municipality}, json_extract(@json, '$.contractId'), @json
       WHERE ${integrationEventCheckSql('@json', '@type')}`,
    );
    this.last = db.prepare('SELECT max(position) FROM integration_events').pluck().safeIntegers(true);
  }

  apply(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      if (!isIntegrationStream(event.streamId)) continue;
      // The engine's text, checked and taken apart by SQLite: no parse nor serialisation in JavaScript
      // (nor its garbage). An event that fails the checks goes the parsing way, which names the problem.
      const text = event.dataJson;
      if (text !== undefined && this.insertText.run({ position: event.position, type: event.type, json: text }).changes === 1) {
        this.appended = true;
        continue;
      }
      const envelope = event.data as Record<string, unknown> | null;
      const fail = (reason: string): never => {
        throw new MalformedContractEventError(event, reason);
      };
      if (!isPublicEventType(event.type)) fail(`'${event.type}' is not a public event type`);
      if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) return fail('the public event is not a JSON object');
      const { id, type, municipality, contractId } = envelope;
      if (typeof id !== 'string' || type !== event.type || typeof municipality !== 'string' || typeof contractId !== 'string') {
        fail('the public event lacks its id, type, municipality or contract id');
      }
      const json = text ?? JSON.stringify(envelope);
      this.insert.run(event.position, id, type, municipalityKey(municipality as string), municipality, contractId, json);
      this.appended = true;
    }
  }

  committed(): void {
    if (!this.appended) return;
    this.appended = false;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // A reader's failure is its own: the log goes on.
      }
    }
  }

  discarded(): void {
    this.appended = false;
  }

  read(q: IntegrationLogQuery): IntegrationLogEntry[] {
    const where = ['position > ?'];
    const args: unknown[] = [q.after ?? -1n];
    if (q.municipality !== undefined) {
      where.push('municipality_key = ?');
      args.push(municipalityKey(q.municipality));
    }
    if (q.types && q.types.length > 0) {
      where.push(`type IN (${q.types.map(() => '?').join(', ')})`);
      args.push(...q.types);
    }
    if (q.contractId !== undefined) {
      where.push('contract_id = ?');
      args.push(q.contractId);
    }
    // A handful of shapes (filters present or not, number of types, the readers' limits): all cached.
    const sql = `SELECT position, event_id, type, municipality, contract_id, json FROM integration_events WHERE ${where.join(' AND ')} ORDER BY position ${limitClause(Math.max(0, Math.floor(q.limit)))}`;
    const rows = this.selects.get(sql).all(...args) as Row[];
    return rows.map(([position, eventId, type, municipality, contractId, json]) => ({
      position,
      eventId,
      type: type as IntegrationLogEntry['type'],
      municipality,
      contractId,
      json,
    }));
  }

  lastPosition(): bigint | null {
    return (this.last.get() as bigint | null) ?? null;
  }

  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
