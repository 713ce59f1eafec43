import type Database from 'better-sqlite3';
import type { ContractStatus } from '@sroi/domain';
import { municipalityKey } from '../integration/integration-log';
import type { ReadModelDatabase } from './read-model-database';

export interface ContractRow {
  contract_id: string;
  municipality: string;
  municipality_key: string;
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

/** A contract's row as its registration makes it (the columns no later event changes, and those it sets first). */
export interface NewContractRow {
  contractId: string;
  municipality: string;
  kvk: string;
  name: string;
  title: string;
  tenderReference: string;
  sroiBasisPoints: number;
  startDate: string;
  endDate: string;
  closed: 0 | 1;
  revision: number;
  position: string;
  updatedAt: string;
}

/** What the events after a contract's registration change in its row: `endDate` null when unchanged. */
export interface ContractAdvance {
  revision: number;
  position: string;
  updatedAt: string;
  endDate: string | null;
  closed: 0 | 1;
}

/**
 * Access to the `contracts` table, shared by the projection (writes) and the queries (reads). A
 * row holds what the portfolio filters, sorts and shows without the contract's folded state, and
 * a snapshot of its figures for one date; the figures themselves are computed from the folded
 * stream (see SqliteContractReadModels).
 */
export class ContractTables {
  private readonly statements: {
    contract: Database.Statement<[string], ContractRow>;
    exists: Database.Statement<[string], unknown>;
    revision: Database.Statement<[string], unknown>;
    insertContract: Database.Statement<[NewContractRow & { municipalityKey: string }]>;
    advance: Database.Statement<[ContractAdvance & { contractId: string; from: number }]>;
    putSnapshot: Database.Statement<unknown[]>;
  };

  constructor(readonly database: ReadModelDatabase) {
    const db = database.db;
    this.statements = {
      contract: db.prepare('SELECT * FROM contracts WHERE contract_id = ?'),
      exists: db.prepare('SELECT 1 FROM contracts WHERE contract_id = ?').pluck(),
      revision: db.prepare('SELECT revision FROM contracts WHERE contract_id = ?').pluck(),
      insertContract: db.prepare(
        `INSERT INTO contracts (contract_id, municipality, municipality_key, contractor_kvk, contractor_name, title,
           tender_reference, sroi_basis_points, start_date, end_date, closed, revision, position, updated_at)
         VALUES (@contractId, @municipality, @municipalityKey, @kvk, @name, @title, @tenderReference, @sroiBasisPoints,
           @startDate, @endDate, @closed, @revision, @position, @updatedAt)`,
      ),
      // Only from the revision the caller read or wrote last: a row that moved meanwhile is not overwritten.
      advance: db.prepare(
        `UPDATE contracts SET end_date = ifnull(@endDate, end_date), closed = max(closed, @closed), revision = @revision,
           position = @position, updated_at = @updatedAt, snapshot_as_of = NULL, status = NULL, catalogue_id = NULL,
           catalogue_version = NULL, contract_value_cents = NULL, obligation_cents = NULL, realised_cents = NULL,
           committed_cents = NULL, verified_cents = NULL, awaiting_agreement = NULL
         WHERE contract_id = @contractId AND revision = @from`,
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

  /** The revision of the last event applied to the contract's row, or undefined when there is no row. */
  revision(contractId: string): number | undefined {
    return this.statements.revision.get(contractId) as number | undefined;
  }

  /** Inserts a registered contract's row (throws SQLite's constraint error when it has one already). */
  insertContract(row: NewContractRow): void {
    this.statements.insertContract.run({ ...row, municipalityKey: municipalityKey(row.municipality) });
  }

  /** Moves a contract's row from revision `from` to `to` (clearing its snapshot); false when the row is not at `from` (or missing). */
  advanceContract(contractId: string, from: number, to: ContractAdvance): boolean {
    return this.statements.advance.run({ ...to, contractId, from }).changes === 1;
  }

  /** Stores the figures of a contract as of a date, unless the contract changed since `revision`. Returns whether it did. */
  writeSnapshot(contractId: string, revision: number, figures: ContractStatus): boolean {
    return (
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
      }).changes === 1
    );
  }
}
