import type Database from 'better-sqlite3';
import type { CatalogueVersion, ContributionState, ContractStatus, RegisteredContract } from '@sroi/domain';
import { createHash } from 'node:crypto';
import type { ReadModelDatabase } from './read-model-database';

/** A contract as the tables hold it: the folded state and where in the log it was last changed. */
export interface StoredContract {
  /** The folded state; `contributions` holds only what the caller loaded (see the methods). */
  state: RegisteredContract;
  /** Stream revision of the last event applied. */
  revision: number;
  /** Global position of the last event applied, decimal. */
  position: string;
  /** Recording instant of the last event applied. */
  updatedAt: string;
}

export interface ContractRow {
  contract_id: string;
  municipality: string;
  contractor_kvk: string;
  contractor_name: string;
  title: string;
  tender_reference: string;
  sroi_basis_points: number;
  start_date: string;
  end_date: string;
  closed: number;
  revision: number;
  position: string;
  updated_at: string;
  snapshot_as_of: string | null;
  status: string | null;
  catalogue_id: string | null;
  catalogue_version: string | null;
  contract_value_cents: number | null;
  obligation_cents: number | null;
  realised_cents: number | null;
  committed_cents: number | null;
  verified_cents: number | null;
  awaiting_agreement: number | null;
}

/** Where in the log a contract's row was last changed. */
type ContractVersion = Pick<ContractRow, 'revision' | 'position' | 'updated_at'>;

type Header = Omit<RegisteredContract, 'contributions' | 'seq' | 'periods'> & {
  periods: { effectiveFrom: string; catalogue: string; mappingFromPrevious: Readonly<Record<string, string>> }[];
};

/**
 * Access to the contract tables, shared by the projection (writes) and the queries (reads).
 *
 * The folded domain state is plain JSON data (strings, numbers, booleans, null, arrays and
 * records: no Map, Set, bigint or Date), so it is stored as JSON, split in two for speed: the
 * contract's 'header' (everything but the contributions, with each catalogue version replaced by
 * a key into `catalogues`) and one row per contribution. `seq` is not stored: it is revision + 1.
 */
export class ContractTables {
  private readonly keyOfCatalogue = new WeakMap<object, string>();
  private readonly catalogueOfKey = new Map<string, CatalogueVersion>();
  /** Keys known to be in the catalogues table (committed, or written in the open transaction). */
  private readonly storedCatalogues = new Set<string>();
  private readonly statements: {
    contract: Database.Statement<[string], ContractRow>;
    version: Database.Statement<[string], ContractVersion>;
    exists: Database.Statement<[string], unknown>;
    contribution: Database.Statement<[string, string], { body: string }>;
    contributions: Database.Statement<[string], { body: string }>;
    catalogue: Database.Statement<[string], { body: string }>;
    putCatalogue: Database.Statement<[string, string, string, string]>;
    header: Database.Statement<[string], { header: string }>;
    insertContract: Database.Statement<unknown[]>;
    updateContract: Database.Statement<unknown[]>;
    putHeader: Database.Statement<[string, string]>;
    putContribution: Database.Statement<[string, string, string]>;
    putSnapshot: Database.Statement<unknown[]>;
  };

  constructor(readonly database: ReadModelDatabase) {
    const db = database.db;
    this.statements = {
      contract: db.prepare('SELECT * FROM contracts WHERE contract_id = ?'),
      // What the projection needs of the row (a row of 23 columns takes ~6 µs to read into an object, these ~1).
      version: db.prepare('SELECT revision, position, updated_at FROM contracts WHERE contract_id = ?'),
      exists: db.prepare('SELECT 1 FROM contracts WHERE contract_id = ?').pluck(),
      contribution: db.prepare('SELECT body FROM contributions WHERE contract_id = ? AND contribution_id = ?'),
      contributions: db.prepare('SELECT body FROM contributions WHERE contract_id = ?'),
      catalogue: db.prepare('SELECT body FROM catalogues WHERE key = ?'),
      putCatalogue: db.prepare('INSERT OR IGNORE INTO catalogues (key, catalogue_id, version, body) VALUES (?, ?, ?, ?)'),
      header: db.prepare('SELECT header FROM contract_headers WHERE contract_id = ?'),
      insertContract: db.prepare(
        `INSERT INTO contracts (contract_id, municipality, contractor_kvk, contractor_name, title, tender_reference,
           sroi_basis_points, start_date, end_date, closed, revision, position, updated_at)
         VALUES (@contractId, @municipality, @kvk, @name, @title, @tenderReference, @sroiBasisPoints, @startDate,
           @endDate, @closed, @revision, @position, @updatedAt)`,
      ),
      // Only what an event after the registration can change (evolve sets the rest on registration only).
      updateContract: db.prepare(
        `UPDATE contracts SET end_date = @endDate, closed = @closed, revision = @revision, position = @position,
           updated_at = @updatedAt, snapshot_as_of = NULL, status = NULL, catalogue_id = NULL, catalogue_version = NULL,
           contract_value_cents = NULL, obligation_cents = NULL, realised_cents = NULL, committed_cents = NULL,
           verified_cents = NULL, awaiting_agreement = NULL
         WHERE contract_id = @contractId`,
      ),
      putHeader: db.prepare(
        'INSERT INTO contract_headers (contract_id, header) VALUES (?, ?) ON CONFLICT (contract_id) DO UPDATE SET header = excluded.header',
      ),
      putContribution: db.prepare(
        'INSERT INTO contributions (contract_id, contribution_id, body) VALUES (?, ?, ?) ON CONFLICT (contract_id, contribution_id) DO UPDATE SET body = excluded.body',
      ),
      putSnapshot: db.prepare(
        `UPDATE contracts SET snapshot_as_of = @asOf, status = @status, catalogue_id = @catalogueId,
           catalogue_version = @catalogueVersion, contract_value_cents = @contractValueCents,
           obligation_cents = @obligationCents, realised_cents = @realisedCents, committed_cents = @committedCents,
           verified_cents = @verifiedCents, awaiting_agreement = @awaitingAgreement
         WHERE contract_id = @contractId AND revision = @revision`,
      ),
    };
  }

  hasContract(contractId: string): boolean {
    return this.statements.exists.get(contractId) !== undefined;
  }

  row(contractId: string): ContractRow | undefined {
    return this.statements.contract.get(contractId);
  }

  /** The contract with no contribution loaded, or null when the tables do not hold it. */
  contractHeader(contractId: string): (StoredContract & { headerJson: string }) | null {
    const row = this.statements.version.get(contractId);
    if (!row) return null;
    const headerJson = this.headerJson(contractId);
    return { ...this.fromRow(row, headerJson, {}), headerJson };
  }

  /** The whole folded state of a row (its header and every contribution). */
  fullState(row: ContractRow): RegisteredContract {
    const contributions: Record<string, ContributionState> = {};
    for (const { body } of this.statements.contributions.all(row.contract_id)) {
      const c = JSON.parse(body) as ContributionState;
      contributions[c.id] = c;
    }
    return this.fromRow(row, this.headerJson(row.contract_id), contributions).state;
  }

  contribution(contractId: string, contributionId: string): ContributionState | undefined {
    const row = this.statements.contribution.get(contractId, contributionId);
    return row ? (JSON.parse(row.body) as ContributionState) : undefined;
  }

  /** The header JSON of a state; stores each catalogue version it names (call inside a transaction). */
  encodeHeader(state: RegisteredContract): string {
    const { contributions: _contributions, seq: _seq, periods, ...rest } = state;
    const header: Header = { ...rest, periods: periods.map((p) => ({ ...p, catalogue: this.catalogueKey(p.catalogue) })) };
    return JSON.stringify(header);
  }

  /**
   * Writes a contract's row: all of it when `inserted` (its registration is in this batch), else the
   * columns an event can change; and its header when `headerJson` is given (it changed).
   */
  writeContract(contract: StoredContract, inserted: boolean, headerJson: string | null): void {
    const s = contract.state;
    const mutable = {
      contractId: s.contractId,
      endDate: s.endDate,
      closed: s.status === 'closed' ? 1 : 0,
      revision: contract.revision,
      position: contract.position,
      updatedAt: contract.updatedAt,
    };
    if (inserted) {
      this.statements.insertContract.run({
        ...mutable,
        municipality: s.municipality,
        kvk: s.contractor.kvk,
        name: s.contractor.name,
        title: s.title,
        tenderReference: s.tenderReference,
        sroiBasisPoints: s.sroiBasisPoints,
        startDate: s.startDate,
      });
    } else if (this.statements.updateContract.run(mutable).changes !== 1) {
      throw new Error(`Read models: contract '${s.contractId}' has no row to update`);
    }
    if (headerJson !== null) this.statements.putHeader.run(s.contractId, headerJson);
  }

  writeContribution(contractId: string, contribution: ContributionState): void {
    this.statements.putContribution.run(contractId, contribution.id, JSON.stringify(contribution));
  }

  /** Stores the figures of a contract as of a date, unless the contract changed since `revision`. */
  writeSnapshot(contractId: string, revision: number, figures: ContractStatus): void {
    this.statements.putSnapshot.run({
      contractId,
      revision,
      asOf: figures.asOf,
      status: figures.status,
      catalogueId: figures.catalogue.id,
      catalogueVersion: figures.catalogue.version,
      contractValueCents: figures.contractValueCents,
      obligationCents: figures.obligationCents,
      realisedCents: figures.realisedCents,
      committedCents: figures.committedCents,
      verifiedCents: figures.verifiedCents,
      awaitingAgreement: figures.awaitingAgreement,
    });
  }

  private headerJson(contractId: string): string {
    const row = this.statements.header.get(contractId);
    if (!row) throw new Error(`Read models: contract '${contractId}' has no header`);
    return row.header;
  }

  private fromRow(row: ContractVersion, headerJson: string, contributions: Record<string, ContributionState>): StoredContract {
    const header = JSON.parse(headerJson) as Header;
    const state = {
      ...header,
      periods: header.periods.map((p) => ({ ...p, catalogue: this.catalogueByKey(p.catalogue) })),
      seq: row.revision + 1,
      contributions,
    } as RegisteredContract;
    return { state, revision: row.revision, position: row.position, updatedAt: row.updated_at };
  }

  /**
   * Key of a catalogue version: id, version and a digest of its content (two events may copy the
   * same id and version with different content, e.g. a corrected publication).
   */
  private catalogueKey(catalogue: CatalogueVersion): string {
    let key = this.keyOfCatalogue.get(catalogue);
    let body: string | undefined;
    if (key === undefined) {
      body = JSON.stringify(catalogue);
      key = `${catalogue.catalogueId}:${catalogue.version}:${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
      this.keyOfCatalogue.set(catalogue, key);
      if (!this.catalogueOfKey.has(key)) this.catalogueOfKey.set(key, catalogue);
    }
    if (!this.storedCatalogues.has(key)) {
      this.statements.putCatalogue.run(key, catalogue.catalogueId, catalogue.version, body ?? JSON.stringify(catalogue));
      this.storedCatalogues.add(key);
    }
    return key;
  }

  /**
   * The state with each catalogue version replaced by the one instance this process keeps for its
   * key (equal content): every registration event carries its own copy of a ~4 kB version, which
   * a cache of folded states would otherwise hold once per contract. Call after `encodeHeader`.
   */
  shareCatalogues(state: RegisteredContract): RegisteredContract {
    let periods: RegisteredContract['periods'][number][] | undefined;
    state.periods.forEach((p, i) => {
      const key = this.keyOfCatalogue.get(p.catalogue);
      const shared = key === undefined ? undefined : this.catalogueOfKey.get(key);
      if (shared !== undefined && shared !== p.catalogue) {
        periods ??= [...state.periods];
        periods[i] = { ...p, catalogue: shared };
      }
    });
    return periods === undefined ? state : { ...state, periods };
  }

  /** After a rolled-back transaction: catalogue rows written in it are gone, write them again when needed. */
  forgetUncommitted(): void {
    this.storedCatalogues.clear();
  }

  private catalogueByKey(key: string): CatalogueVersion {
    let catalogue = this.catalogueOfKey.get(key);
    if (!catalogue) {
      const row = this.statements.catalogue.get(key);
      if (!row) throw new Error(`Read models: catalogue '${key}' is missing from the catalogues table`);
      catalogue = JSON.parse(row.body) as CatalogueVersion;
      this.catalogueOfKey.set(key, catalogue);
      this.keyOfCatalogue.set(catalogue, key);
      this.storedCatalogues.add(key);
    }
    return catalogue;
  }
}
