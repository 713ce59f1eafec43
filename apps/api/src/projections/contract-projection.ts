import type { ContractEvent } from '@sroi/domain';
import type { RecordedEvent } from '@sroi/event-store';
import { contractIdOf, decodeContractEvent, isContractStream, MalformedContractEventError } from './contract-events';
import type { ContractAdvance, ContractTables, NewContractRow } from './contract-tables';

/** A projection the runner drives: it applies a batch inside the runner's transaction. */
export interface Projection {
  /** Name of its checkpoint. */
  readonly name: string;
  /**
   * Applies the events (every event of $all after the checkpoint, in order; the projection picks
   * its own) to its tables. Runs inside a transaction; throws {@link MalformedContractEventError}
   * naming the event it could not apply, and then the transaction is rolled back.
   */
  apply(events: readonly RecordedEvent[]): void;
  /** The transaction committed: in-memory caches may keep what the batch produced. */
  committed(): void;
  /** The transaction rolled back: forget what the batch produced. */
  discarded(): void;
}

/** The event types that change a contract's row beyond its revision, position and recording instant. */
export const ROW_EVENT_TYPES = ['ContractRegistered', 'ContractPeriodChanged', 'ContractClosed'] as const;

/** A contract's row as a batch leaves it, written once at the end of the batch. */
interface Pending {
  /** The batch's first event of the contract: named when the row is not where that event follows. */
  first: RecordedEvent;
  /** The row to insert, when the batch registers the contract. */
  inserted: NewContractRow | null;
  /** What the batch's later events change (for an inserted row: merged into it). */
  advance: ContractAdvance;
}

/**
 * The contract projection: per contract, one row with what the portfolio filters, sorts and shows
 * without the folded state (municipality, contractor, title, period, closed), the revision,
 * position and recording instant of its last event, and a snapshot of its figures for one date
 * (cleared by every event; the queries compute figures from the contract's folded stream).
 *
 * Each event is checked before it is applied: the stream's revisions follow each other from 0, the
 * first event registers the contract of the stream, the event's type is a contract event's and
 * its data has the fields the domain folds (the write side's fold and the figures depend on them).
 * Anything else stops the projection: a read model that skips an event is silently wrong for ever.
 */
export class ContractProjection implements Projection {
  readonly name = 'contracts';
  private readonly work = new Map<string, Pending>();

  constructor(private readonly tables: ContractTables) {}

  apply(events: readonly RecordedEvent[]): void {
    for (const recorded of events) {
      if (!isContractStream(recorded.streamId)) continue;
      const event = decodeContractEvent(recorded);
      const contractId = contractIdOf(recorded.streamId);
      const pending = this.work.get(contractId);
      const revision = Number(recorded.revision);
      if (pending) {
        const expected = pending.advance.revision + 1;
        if (revision !== expected) fail(recorded, `expected revision ${expected} of the stream next`);
        applyToRow(pending, recorded, event);
      } else if (revision === 0) {
        if (event.type !== 'ContractRegistered') fail(recorded, 'the first event of a contract stream must be ContractRegistered');
        this.work.set(contractId, { first: recorded, inserted: newRow(contractId, recorded, event), advance: advanceOf(recorded, null, 0) });
      } else {
        if (event.type === 'ContractRegistered') fail(recorded, 'the contract is registered already');
        const p: Pending = { first: recorded, inserted: null, advance: advanceOf(recorded, null, 0) };
        applyToRow(p, recorded, event);
        this.work.set(contractId, p);
      }
    }
    this.flush();
  }

  committed(): void {
    this.work.clear();
  }

  discarded(): void {
    this.work.clear();
  }

  /** Writes one row per contract the batch touched, in key order (neighbouring writes share B-tree pages). */
  private flush(): void {
    const ids = [...this.work.keys()].sort(compareKeys);
    for (const contractId of ids) {
      const p = this.work.get(contractId) as Pending;
      if (p.inserted) {
        if (this.tables.hasContract(contractId)) fail(p.first, 'the projection holds this contract already');
        this.tables.insertContract({ ...p.inserted, ...p.advance, endDate: p.advance.endDate ?? p.inserted.endDate, closed: p.advance.closed });
      } else if (!this.tables.advanceContract(contractId, Number(p.first.revision) - 1, p.advance)) {
        const at = this.tables.revision(contractId);
        fail(p.first, at === undefined ? 'the projection holds no earlier event of this stream (expected revision 0)' : `expected revision ${at + 1} of the stream next`);
      }
    }
  }
}

function fail(recorded: RecordedEvent, reason: string): never {
  throw new MalformedContractEventError(recorded, reason);
}

function advanceOf(recorded: RecordedEvent, endDate: string | null, closed: 0 | 1): ContractAdvance {
  return { revision: Number(recorded.revision), position: String(recorded.position), updatedAt: recorded.recordedAt, endDate, closed };
}

/** Folds an event after the registration into the pending row (as the domain's `evolve` changes these fields). */
function applyToRow(p: Pending, recorded: RecordedEvent, event: ContractEvent): void {
  if (event.type === 'ContractRegistered') fail(recorded, 'the contract is registered already');
  p.advance = advanceOf(
    recorded,
    event.type === 'ContractPeriodChanged' ? event.data.endDate : p.advance.endDate,
    event.type === 'ContractClosed' ? 1 : p.advance.closed,
  );
}

/** The row a registration makes, checked against its stream. */
export function newRow(contractId: string, recorded: RecordedEvent, event: ContractEvent): NewContractRow {
  if (event.type !== 'ContractRegistered') return fail(recorded, 'the first event of a contract stream must be ContractRegistered');
  const d = event.data;
  if (d.contractId !== contractId) fail(recorded, `it registers contract '${d.contractId}' in the stream of '${contractId}'`);
  if (typeof d.contractor.kvk !== 'string' || typeof d.contractor.name !== 'string') fail(recorded, 'data.contractor must have a kvk and a name (strings)');
  return {
    contractId,
    municipality: d.municipality,
    kvk: d.contractor.kvk,
    name: d.contractor.name,
    title: d.title,
    tenderReference: d.tenderReference,
    sroiBasisPoints: d.sroiBasisPoints,
    startDate: d.startDate,
    endDate: d.endDate,
    closed: 0,
    revision: 0,
    position: String(recorded.position),
    updatedAt: recorded.recordedAt,
  };
}

/** Orders strings as SQLite's default BINARY collation does for ASCII keys (by UTF-16 code unit otherwise: only locality depends on it). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
