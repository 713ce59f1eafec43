import { limitClause, StatementCache, type RecordedEvent } from '@sroi/event-store';
import { isPublicEventType } from '@sroi/integration-events';
import type Database from 'better-sqlite3';
import { MalformedContractEventError } from '../projections/contract-events';
import type { Projection } from '../projections/contract-projection';
import { IntegrationLog, municipalityKey, type IntegrationLogEntry, type IntegrationLogQuery } from './integration-log';
import { isIntegrationStream } from './integration-streams';

type Row = [position: bigint, eventId: string, type: string, municipality: string, contractId: string, json: string];

/**
 * The integration log as a projection of the store's `integration-*` streams into the read-model
 * file (table `integration_events`, keyed by the public event's global position). It runs in the
 * same runner and transaction as the contract projection, so it shares their checkpoint, resumes
 * exactly after a restart and is rebuilt by `npm run rebuild` like them.
 */
export class IntegrationLogProjection extends IntegrationLog implements Projection {
  readonly name = 'integration-log';
  private readonly insert: Database.Statement;
  private readonly last: Database.Statement;
  private readonly selects = new StatementCache((sql) => this.db.prepare(sql).raw(true).safeIntegers(true));
  private readonly listeners = new Set<() => void>();
  private appended = false;

  constructor(private readonly db: Database.Database) {
    super();
    this.insert = db.prepare(
      'INSERT INTO integration_events (position, event_id, type, municipality_key, municipality, contract_id, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.last = db.prepare('SELECT max(position) FROM integration_events').pluck().safeIntegers(true);
  }

  apply(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      if (!isIntegrationStream(event.streamId)) continue;
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
      // A rebuild hands over the stored JSON text (identical to re-serialising what it parsed).
      const json = (event as { dataJson?: string }).dataJson ?? JSON.stringify(envelope);
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
