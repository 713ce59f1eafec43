import { assertDate, figuresOf, type ContractStatus } from '@sroi/domain';
import type Database from 'better-sqlite3';
import type { ContractRow, ContractTables } from './contract-tables';
import {
  ContractReadModels,
  type ContractSummary,
  type ObligationStatus,
  type PortfolioPage,
  type PortfolioQuery,
  type PortfolioSort,
} from './read-models';

export const MAX_PAGE_SIZE = 200;

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

/**
 * The contract summary and the portfolio, read from the projection's tables.
 *
 * Figures depend on the date (realised value accrues every day), so they are computed at read time
 * by the domain's `figuresOf` on the stored state as of `today`. Each row keeps a snapshot of its
 * figures for one date (`snapshot_as_of`), cleared by every change the projection applies: a
 * summary asked again the same day is read from the row, and the portfolio first refreshes, in one
 * transaction, the snapshots of the rows it filters whose date is not `today`, so that filtering
 * by status and sorting by figures run in SQL. The module's SnapshotRefresher refreshes them
 * all in the background when the date changes, so that this is rarely needed.
 */
export class SqliteContractReadModels extends ContractReadModels {
  private readonly db: Database.Database;

  constructor(private readonly tables: ContractTables) {
    super();
    this.db = tables.database.db;
  }

  summary(contractId: string, today: string): ContractSummary | null {
    assertDate(today, 'today');
    const row = this.tables.row(contractId);
    if (!row) return null;
    if (row.snapshot_as_of === today) return summaryOf(row);
    const figures = figuresOf(this.tables.fullState(row), today);
    this.tables.writeSnapshot(row.contract_id, row.revision, figures);
    return summaryOf(withFigures(row, figures));
  }

  portfolio(query: PortfolioQuery, today: string): PortfolioPage {
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
      where.push('municipality = @municipality');
      params['municipality'] = query.municipality;
    }
    if (query.contractorKvk !== undefined) {
      where.push('contractor_kvk = @contractorKvk');
      params['contractorKvk'] = query.contractorKvk;
    }
    this.refreshSnapshots(today, where, params);
    if (query.status !== undefined) {
      where.push('status = @status');
      params['status'] = query.status;
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM contracts ${clause}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM contracts ${clause} ORDER BY ${sort} ${order}, contract_id ${order} LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: pageSize, offset: (page - 1) * pageSize }) as ContractRow[];
    return { items: rows.map(summaryOf), total, page, pageSize };
  }

  /**
   * Brings the snapshots of the rows matching `where` (all rows when empty) to `today`, in one
   * transaction; at most `limit` of them when given (the SnapshotRefresher works in
   * chunks so as not to hold the event loop). Returns the number of rows refreshed.
   */
  refreshSnapshots(today: string, where: string[] = [], params: Record<string, string> = { today }, limit?: number): number {
    assertDate(today, 'today');
    const clause = ['snapshot_as_of IS NOT @today', ...where].join(' AND ');
    const stale = this.db.prepare(`SELECT * FROM contracts WHERE ${clause}${limit === undefined ? '' : ' LIMIT @limit'}`);
    return this.tables.database.transaction(() => {
      let n = 0;
      for (const row of stale.all(limit === undefined ? { ...params, today } : { ...params, today, limit }) as ContractRow[]) {
        this.tables.writeSnapshot(row.contract_id, row.revision, figuresOf(this.tables.fullState(row), today));
        n++;
      }
      return n;
    });
  }

  // ---- for the obligation monitor (see integration/obligation-monitor)

  /** Ids of the contracts not closed, after `afterId` (null: from the first), in id order, at most `limit`. */
  openContractIds(afterId: string | null, limit: number): string[] {
    return (this.db.prepare('SELECT contract_id FROM contracts WHERE closed = 0 AND contract_id > ? ORDER BY contract_id LIMIT ?').pluck().all(afterId ?? '', limit) as string[]);
  }

  /** Where a contract was last changed (global position, recording instant) and whether it is closed; null when the tables do not hold it. */
  lastChange(contractId: string): { position: string; updatedAt: string; closed: boolean } | null {
    const row = this.tables.row(contractId);
    return row ? { position: row.position, updatedAt: row.updated_at, closed: row.closed === 1 } : null;
  }

  /**
   * A contract's obligation status on `date` as the tables hold it now: from its snapshot when that
   * is of `date` (the SnapshotRefresher brings them to today), else computed from its full state.
   * Read-only: a background pass over every contract does not commit a write per row (the refresher
   * writes the snapshots in chunked transactions). Null when the tables do not hold the contract.
   */
  statusOn(contractId: string, date: string): ObligationStatus | null {
    assertDate(date, 'date');
    const row = this.tables.row(contractId);
    if (!row) return null;
    if (row.snapshot_as_of === date && row.status !== null) return row.status as ObligationStatus;
    return figuresOf(this.tables.fullState(row), date).status;
  }
}

function withFigures(row: ContractRow, f: ContractStatus): ContractRow {
  return {
    ...row,
    snapshot_as_of: f.asOf,
    status: f.status,
    catalogue_id: f.catalogue.id,
    catalogue_version: f.catalogue.version,
    contract_value_cents: f.contractValueCents,
    obligation_cents: f.obligationCents,
    realised_cents: f.realisedCents,
    committed_cents: f.committedCents,
    verified_cents: f.verifiedCents,
    awaiting_agreement: f.awaitingAgreement,
  };
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
