import { Logger } from '@nestjs/common';
import { assertDate, figuresOf, type ContractStatus, type RegisteredContract } from '@sroi/domain';
import type Database from 'better-sqlite3';
import { reasonOf } from '../config/operator-error';
import { municipalityKey } from '../integration/integration-log';
import { ProblemException, RetryLaterError } from '../platform/problem';
import type { ContractRow, ContractTables } from './contract-tables';
import {
  ContractReadModels,
  ContractStates,
  type ContractSummary,
  type MonitoredContract,
  type ObligationStatus,
  type PortfolioPage,
  type PortfolioQuery,
  type PortfolioSort,
} from './read-models';

export const MAX_PAGE_SIZE = 200;

const logger = new Logger('ReadModels');

const SORT_COLUMNS: Record<PortfolioSort, string> = {
  title: 'title COLLATE NOCASE',
  startDate: 'start_date',
  endDate: 'end_date',
  obligationCents: 'obligation_cents',
  realisedCents: 'realised_cents',
  // A contract with no obligation (value 0) has met it.
  progress: 'CASE WHEN obligation_cents > 0 THEN CAST(realised_cents AS REAL) / obligation_cents ELSE 1.0 END',
  updatedAt: 'updated_at',
};

const STATUSES: readonly ObligationStatus[] = ['on-track', 'behind', 'met', 'not-met'];

/** Contracts whose states are read from the store at once while refreshing snapshots (memory stays bounded by it). */
const LOAD_CHUNK = 100;
/**
 * Rounds of loading states before a refresh gives up: each round loads what the cache did not
 * hold, then looks again at the rows, which the projection may have moved meanwhile.
 */
const MAX_ROUNDS = 5;

/** The read models moved faster than the figures could be computed (never seen outside a test): the query can be asked again. */
export class ReadModelsBusyError extends RetryLaterError {
  constructor() {
    super('read-models-busy', 'the contracts changed faster than their figures could be computed; try again', 'The contracts changed faster than their figures could be computed; retry shortly');
    this.name = 'ReadModelsBusyError';
  }
}

/**
 * The contract summary and the portfolio, read from the projection's `contracts` table.
 *
 * Figures depend on the date (realised value accrues every day), so they are computed at read time
 * by the domain's `figuresOf` on the contract's folded stream as of `today`, which
 * {@link ContractStates} gives (the service's write-side cache). Each row keeps a snapshot of its
 * figures for one date (`snapshot_as_of`), cleared by every change the projection applies: a
 * summary asked again the same day is read from the row, and the portfolio first refreshes the
 * snapshots of the rows it filters whose date is not `today`, so that filtering by status and
 * sorting by figures run in SQL. The states are gathered first (awaiting the store for those not
 * at hand); the snapshots are then written, and the page read, in one synchronous step, so that no
 * batch of the projection comes between them. The module's SnapshotRefresher refreshes them all
 * in the background when the date changes, so that this is rarely needed.
 */
export class SqliteContractReadModels extends ContractReadModels {
  private readonly db: Database.Database;
  /** Contracts whose figures failed at a revision (see figuresOrNull). */
  private readonly unvaluable = new Map<string, { revision: number; message: string }>();

  constructor(
    private readonly tables: ContractTables,
    private readonly states: ContractStates,
  ) {
    super();
    this.db = tables.database.db;
  }

  async summary(contractId: string, today: string): Promise<ContractSummary | null> {
    assertDate(today, 'today');
    return this.withFreshSnapshots(
      today,
      () => {
        const row = this.tables.row(contractId);
        return row && row.snapshot_as_of !== today ? [row] : [];
      },
      () => {
        const row = this.tables.row(contractId);
        if (row && row.snapshot_as_of !== today) throw this.figuresUnavailable(row);
        return row ? summaryOf(row) : null;
      },
    );
  }

  async portfolio(query: PortfolioQuery, today: string): Promise<PortfolioPage> {
    assertDate(today, 'today');
    const page = Math.max(1, Math.floor(query.page) || 1);
    const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(query.pageSize) || 1));
    if (query.status !== undefined && !STATUSES.includes(query.status)) throw new RangeError(`Unknown status '${String(query.status)}'`);
    const sort = SORT_COLUMNS[query.sort ?? 'title'];
    if (!sort) throw new RangeError(`Unknown sort '${String(query.sort)}'`);
    const order = query.order === 'desc' ? 'DESC' : 'ASC';

    const where: string[] = [];
    const params: Record<string, string> = { today };
    if (query.municipality !== undefined) {
      // As the scope check compares names (`sameMunicipality`): trimmed, in any case.
      where.push('municipality_key = @municipalityKey');
      params['municipalityKey'] = municipalityKey(query.municipality);
    }
    if (query.contractorKvk !== undefined) {
      where.push('contractor_kvk = @contractorKvk');
      params['contractorKvk'] = query.contractorKvk;
    }
    const filter = [...where];
    if (query.status !== undefined) {
      filter.push('status = @status');
      params['status'] = query.status;
    }
    const clause = filter.length ? `WHERE ${filter.join(' AND ')}` : '';
    return this.withFreshSnapshots(
      today,
      () => this.staleRows(today, where, params),
      () => {
        const total = (this.db.prepare(`SELECT count(*) AS n FROM contracts ${clause}`).get(params) as { n: number }).n;
        const rows = this.db
          .prepare(`SELECT * FROM contracts ${clause} ORDER BY ${sort} ${order}, contract_id ${order} LIMIT @limit OFFSET @offset`)
          .all({ ...params, limit: pageSize, offset: (page - 1) * pageSize }) as ContractRow[];
        return { items: rows.map(summaryOf), total, page, pageSize };
      },
    );
  }

  /**
   * Brings the snapshots of the rows matching `where` (all rows when empty) to `today`; at most
   * `limit` of them when given (the SnapshotRefresher works in chunks so as not to hold the event
   * loop). Returns the number of stale rows it found (and refreshed, unless they changed meanwhile).
   */
  async refreshSnapshots(today: string, where: string[] = [], params: Record<string, string> = { today }, limit?: number): Promise<number> {
    assertDate(today, 'today');
    // A chunk is the rows stale when it starts (those still stale after loading their states): rows
    // that go stale meanwhile are the next chunk's.
    let listed: string[] | undefined;
    await this.withFreshSnapshots(
      today,
      () => {
        if (listed !== undefined) return listed.map((id) => this.tables.row(id)).filter((r): r is ContractRow => r !== undefined && r.snapshot_as_of !== today);
        const rows = this.staleRows(today, where, params, limit);
        listed = rows.map((r) => r.contract_id);
        return rows;
      },
      () => undefined,
    );
    return listed?.length ?? 0;
  }

  // ---- for the obligation monitor (see integration/obligation-monitor)

  /** Ids of the contracts not closed, after `afterId` (null: from the first), in id order, at most `limit`. */
  openContractIds(afterId: string | null, limit: number): string[] {
    return (this.db.prepare('SELECT contract_id FROM contracts WHERE closed = 0 AND contract_id > ? ORDER BY contract_id LIMIT ?').pluck().all(afterId ?? '', limit) as string[]);
  }

  /**
   * A contract as the tables hold it now, for the monitor: where it was last changed, whether it is
   * closed, and its obligation status on any date, from the day's snapshot when that is of the date
   * (the SnapshotRefresher brings them to today), else from its folded state at the row's revision
   * (so that every answer is of one and the same state). Read-only: a background pass over every
   * contract does not commit a write per row. Null when the tables do not hold the contract.
   */
  async monitored(contractId: string): Promise<MonitoredContract | null> {
    const row = this.tables.row(contractId);
    if (!row) return null;
    const state = row.closed === 1 ? null : await this.stateOfRow(row);
    return {
      position: row.position,
      updatedAt: row.updated_at,
      closed: row.closed === 1,
      statusOn: (date: string): ObligationStatus => {
        assertDate(date, 'date');
        if (row.snapshot_as_of === date && row.status !== null) return row.status as ObligationStatus;
        if (!state) throw new Error(`Read models: the figures of closed contract '${contractId}' are not computed for the monitor`);
        return figuresOf(state, date).status;
      },
    };
  }

  private staleRows(today: string, where: readonly string[], params: Record<string, string>, limit?: number): ContractRow[] {
    const clause = ['snapshot_as_of IS NOT @today', ...where].join(' AND ');
    const stale = this.db.prepare(`SELECT * FROM contracts WHERE ${clause}${limit === undefined ? '' : ' LIMIT @limit'}`);
    return stale.all(limit === undefined ? { ...params, today } : { ...params, today, limit }) as ContractRow[];
  }

  /**
   * The figures of a row's state, or null when the domain cannot compute them (a history that no
   * valuation accepts, as an earlier version could store). Such a contract must not take the
   * portfolio of its whole municipality down with it: it keeps no snapshot, so the portfolio lists
   * it without figures, its summary answers 500 `figures-unavailable`, and the error is logged
   * once for its revision (a later event may mend it).
   */
  private figuresOrNull(row: ContractRow, state: RegisteredContract, today: string): ContractStatus | null {
    if (this.unvaluable.get(row.contract_id)?.revision === row.revision) return null;
    try {
      return figuresOf(state, today);
    } catch (error) {
      const message = reasonOf(error);
      this.unvaluable.set(row.contract_id, { revision: row.revision, message });
      logger.error(`The figures of contract ${row.contract_id} at revision ${row.revision} cannot be computed; it is listed without them: ${message}`);
      return null;
    }
  }

  private figuresUnavailable(row: ContractRow): ProblemException {
    const known = this.unvaluable.get(row.contract_id);
    return new ProblemException(500, 'figures-unavailable', `The figures of contract ${row.contract_id} cannot be computed from its history (${known?.message ?? 'see the log'}); it has been logged`, {
      contractId: row.contract_id,
      revision: row.revision,
    });
  }

  /** The folded state at a row's revision: from the cache, or read from the store. */
  private async stateOfRow(row: ContractRow): Promise<RegisteredContract> {
    const state = this.states.peek(row.contract_id, row.revision) ?? (await this.states.stateAt(row.contract_id, row.revision));
    if (!state) throw new Error(`Read models: the store holds no revision ${row.revision} of contract '${row.contract_id}'`);
    return state;
  }

  /**
   * Writes the figures for `today` of the rows `stale()` lists, then runs `then`, in one
   * synchronous step (a transaction when there is anything to write). The states of those rows are
   * gathered first: those at hand at once, the others awaited from the store, after which the rows
   * are listed again (the projection may have moved them meanwhile).
   */
  private async withFreshSnapshots<T>(today: string, stale: () => ContractRow[], then: () => T): Promise<T> {
    const loaded = new Map<string, { revision: number; state: RegisteredContract }>();
    const stateOf = (row: ContractRow): RegisteredContract | undefined => {
      const l = loaded.get(row.contract_id);
      return l && l.revision === row.revision ? l.state : this.states.peek(row.contract_id, row.revision);
    };
    for (let round = 1; ; round++) {
      const rows = stale();
      if (rows.length === 0) return then();
      const missing = rows.filter((row) => stateOf(row) === undefined);
      if (missing.length === 0) {
        return this.tables.database.transaction(() => {
          for (const row of rows) {
            const figures = this.figuresOrNull(row, stateOf(row) as RegisteredContract, today);
            if (figures) this.tables.writeSnapshot(row.contract_id, row.revision, figures);
          }
          return then();
        });
      }
      if (round === MAX_ROUNDS) throw new ReadModelsBusyError();
      for (let i = 0; i < missing.length; i += LOAD_CHUNK) {
        await Promise.all(
          missing.slice(i, i + LOAD_CHUNK).map(async (row) => loaded.set(row.contract_id, { revision: row.revision, state: await this.stateOfRow(row) })),
        );
      }
    }
  }
}

/** The summary of a row whose snapshot is as of the date asked. */
function summaryOf(row: ContractRow): ContractSummary {
  return {
    contractId: row.contract_id,
    municipality: row.municipality,
    title: row.title,
    tenderReference: row.tender_reference,
    contractor: { kvk: row.contractor_kvk, name: row.contractor_name },
    catalogue: { id: row.catalogue_id as string, version: row.catalogue_version as string },
    contractValueCents: row.contract_value_cents as number,
    sroiPercentage: row.sroi_basis_points / 100,
    startDate: row.start_date,
    endDate: row.end_date,
    closed: row.closed === 1,
    asOf: row.snapshot_as_of as string,
    obligationCents: row.obligation_cents as number,
    realisedCents: row.realised_cents as number,
    committedCents: row.committed_cents as number,
    verifiedCents: row.verified_cents as number,
    awaitingAgreement: row.awaiting_agreement as number,
    status: row.status as ObligationStatus,
    revision: row.revision,
    position: row.position,
    updatedAt: row.updated_at,
  };
}
