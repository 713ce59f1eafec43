/**
 * Events of one contract stream: past tense, schemaVersion 1, and every fact the valuation needs.
 * The catalogue versions a contract is valued under are copied whole into ContractRegistered and
 * ContractCatalogueMigrated, so a history replays without looking anything up. Metadata (actor,
 * correlation id, recording instant) lives in the envelope, not here.
 */
import type { CalendarDate } from '../shared/dates';
import type { CatalogueVersion, CatalogueVersionRef } from '../catalogues/types';
import type { Contractor, Supplier } from './commands';

interface Ev<T extends string, D> {
  readonly type: T;
  readonly schemaVersion: 1;
  readonly data: D;
}

/** How a one-off contribution is valued: from its invoice amount, its hours, by agreement, or per activity. */
export type OneOffInput = 'invoice' | 'hours' | 'agreement' | 'per-activity';

export type ContractRegistered = Ev<
  'ContractRegistered',
  {
    readonly contractId: string;
    readonly municipality: string;
    readonly title: string;
    readonly tenderReference: string;
    readonly contractor: Contractor;
    readonly contractValueCents: number;
    /** the percentage in basis points (hundredths of a percent): 5% = 500 */
    readonly sroiBasisPoints: number;
    readonly startDate: CalendarDate;
    readonly endDate: CalendarDate;
    readonly catalogue: CatalogueVersion;
    readonly explicitVersion: boolean;
  }
>;

export type ContractValueChanged = Ev<
  'ContractValueChanged',
  { readonly contractValueCents: number; readonly previousValueCents: number; readonly effectiveDate: CalendarDate; readonly reason: string }
>;

export type ContractPeriodChanged = Ev<
  'ContractPeriodChanged',
  { readonly endDate: CalendarDate; readonly previousEndDate: CalendarDate; readonly reason: string }
>;

export type ContractCatalogueMigrated = Ev<
  'ContractCatalogueMigrated',
  {
    readonly from: CatalogueVersionRef;
    readonly catalogue: CatalogueVersion;
    readonly effectiveDate: CalendarDate;
    /** the mapping applied: declared replacements completed or overridden by the advisor */
    readonly blockMapping: Readonly<Record<string, string>>;
    readonly explicitVersion: boolean;
    readonly reason: string;
  }
>;

export type HireRecorded = Ev<
  'HireRecorded',
  {
    readonly placementId: string;
    readonly candidateRef: string;
    /** the catalogue version whose codes are used: the one in force on the first counted day */
    readonly catalogue: CatalogueVersionRef;
    readonly blockCode: string;
    readonly bonusCodes: readonly string[];
    readonly startDate: CalendarDate;
    readonly endDate: CalendarDate | null;
    readonly hoursPerWeek: number;
    readonly permanent: boolean;
  }
>;

export type PlacementChanged = Ev<
  'PlacementChanged',
  { readonly placementId: string; readonly effectiveDate: CalendarDate; readonly hoursPerWeek: number; readonly permanent: boolean }
>;

export type PlacementEnded = Ev<'PlacementEnded', { readonly placementId: string; readonly endDate: CalendarDate; readonly reason: string }>;

export type PurchaseRecorded = Ev<
  'PurchaseRecorded',
  {
    readonly contributionId: string;
    readonly catalogue: CatalogueVersionRef;
    readonly blockCode: string;
    readonly supplier: Supplier;
    readonly invoiceReference: string;
    readonly amountExclVatCents: number;
    readonly date: CalendarDate;
  }
>;

export type KnowledgeSharingRecorded = Ev<
  'KnowledgeSharingRecorded',
  {
    readonly contributionId: string;
    readonly catalogue: CatalogueVersionRef;
    readonly blockCode: string;
    readonly description: string;
    readonly date: CalendarDate;
    readonly hours: number | null;
    readonly costCents: number | null;
  }
>;

export type ActivityRecorded = Ev<
  'ActivityRecorded',
  {
    readonly contributionId: string;
    readonly catalogue: CatalogueVersionRef;
    readonly blockCode: string;
    readonly description: string;
    readonly date: CalendarDate;
    readonly costCents: number | null;
    /** how it is valued: by agreement, per activity, or on its costs (invoice) */
    readonly valuedBy: 'agreement' | 'per-activity' | 'invoice';
  }
>;

export type AgreedValueRecorded = Ev<'AgreedValueRecorded', { readonly contributionId: string; readonly valueCents: number; readonly note: string }>;
export type ContributionVerified = Ev<'ContributionVerified', { readonly contributionId: string; readonly note: string }>;
export type ContributionRejected = Ev<'ContributionRejected', { readonly contributionId: string; readonly note: string }>;
export type ContributionWithdrawn = Ev<'ContributionWithdrawn', { readonly contributionId: string; readonly reason: string }>;
export type ContractClosed = Ev<'ContractClosed', { readonly reason: string }>;

export type ContractEvent =
  | ContractRegistered
  | ContractValueChanged
  | ContractPeriodChanged
  | ContractCatalogueMigrated
  | HireRecorded
  | PlacementChanged
  | PlacementEnded
  | PurchaseRecorded
  | KnowledgeSharingRecorded
  | ActivityRecorded
  | AgreedValueRecorded
  | ContributionVerified
  | ContributionRejected
  | ContributionWithdrawn
  | ContractClosed;

export type ContractEventType = ContractEvent['type'];

export const CONTRACT_EVENT_TYPES: readonly ContractEventType[] = [
  'ContractRegistered',
  'ContractValueChanged',
  'ContractPeriodChanged',
  'ContractCatalogueMigrated',
  'HireRecorded',
  'PlacementChanged',
  'PlacementEnded',
  'PurchaseRecorded',
  'KnowledgeSharingRecorded',
  'ActivityRecorded',
  'AgreedValueRecorded',
  'ContributionVerified',
  'ContributionRejected',
  'ContributionWithdrawn',
  'ContractClosed',
];

/** A recorded event as read from the store: the recording instant makes the history bitemporal. */
export interface RecordedEvent<E = ContractEvent> {
  readonly event: E;
  /** ISO-8601 UTC instant at which the event was recorded */
  readonly recordedAt: string;
  /** stream revision (0-based), if known */
  readonly revision?: number;
  /** global position in the store, if known */
  readonly position?: string;
}
