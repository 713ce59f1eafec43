/**
 * What the rest of the service asks of the projections. The projections are fed from the event
 * store's $all subscription with a checkpoint in the same SQLite transaction as the read models
 * (file `read-models.sqlite` in SROI_DATA_DIR); implementations live beside this file.
 */

import type { RegisteredContract } from '@sroi/domain';

export type ObligationStatus = 'on-track' | 'behind' | 'met' | 'not-met';

/** One contract as the portfolio lists it; figures as of the date in `asOf`. */
export interface ContractSummary {
  contractId: string;
  municipality: string;
  title: string;
  tenderReference: string;
  contractor: { kvk: string; name: string };
  catalogue: { id: string; version: string };
  contractValueCents: number;
  sroiPercentage: number;
  startDate: string;
  endDate: string;
  closed: boolean;
  /** The date the figures are computed for (today when read, see `ContractReadModels`). */
  asOf: string;
  obligationCents: number;
  realisedCents: number;
  committedCents: number;
  verifiedCents: number;
  awaitingAgreement: number;
  status: ObligationStatus;
  /** Stream revision of the last event applied (the ETag of the contract). */
  revision: number;
  /** Global position of the last event applied, as a decimal string. */
  position: string;
  /** Recording instant of the last event applied. */
  updatedAt: string;
}

export type PortfolioSort = 'title' | 'startDate' | 'endDate' | 'obligationCents' | 'realisedCents' | 'progress' | 'updatedAt';

export interface PortfolioQuery {
  municipality?: string;
  contractorKvk?: string;
  status?: ObligationStatus;
  sort?: PortfolioSort;
  order?: 'asc' | 'desc';
  /** 1-based. */
  page: number;
  pageSize: number;
}

export interface PortfolioPage {
  items: ContractSummary[];
  total: number;
  page: number;
  pageSize: number;
}

/** A contract as the obligation monitor reads it (see SqliteContractReadModels.monitored). */
export interface MonitoredContract {
  /** Global position of its last event (decimal). */
  position: string;
  /** Recording instant of its last event. */
  updatedAt: string;
  closed: boolean;
  /** Its obligation status on `date`, as of the state the row is at. */
  statusOn(date: string): ObligationStatus;
}

/** Read side of contracts. Figures are as of `today` (the caller passes the date: no clock reads in queries). */
export abstract class ContractReadModels {
  abstract summary(contractId: string, today: string): Promise<ContractSummary | null>;
  abstract portfolio(query: PortfolioQuery, today: string): Promise<PortfolioPage>;
}

/**
 * Where the read models get a contract's folded state to compute its figures from: the domain's
 * fold of the contract's own stream up to a revision. The read models keep only what they index
 * (a contract's identity, period, revision and a snapshot of its figures); the state itself is
 * the write side's, which caches it (see ContractRepository).
 */
export abstract class ContractStates {
  /** The state after the event at `revision` when it is at hand without I/O (a cache), else undefined. */
  abstract peek(contractId: string, revision: number): RegisteredContract | undefined;
  /** The state after the event at `revision` of the contract's stream; null when the stream holds no such event. */
  abstract stateAt(contractId: string, revision: number): Promise<RegisteredContract | null>;
  /** Whether the states are at hand (a cache filled at start-up); until then, computing many figures is better left for later. */
  isWarm(): boolean {
    return true;
  }
}

/** How far the projections have come, so that a client can wait for its own write (`?minPosition=`). */
export abstract class ProjectionProgress {
  /** Position of the last event applied by every projection, or null before the first. */
  abstract lastAppliedPosition(): bigint | null;
  /** Resolves true once `position` is applied, false when `timeoutMs` passes first. */
  abstract waitFor(position: bigint, timeoutMs: number): Promise<boolean>;
}
