/**
 * The `data` of each public integration event (schemaVersion 1). These are `type` aliases, not
 * interfaces, so that every typed envelope is also a `PublicEventEnvelope` (whose default `data`
 * is `Record<string, unknown>`).
 *
 * Conventions: money is integer euro cents in fields ending in `Cents`; dates are `YYYY-MM-DD`
 * (Europe/Amsterdam calendar dates); instants are ISO-8601 UTC. No personal data: a hire names
 * only the pseudonymous `candidateRef`; free-text reasons, notes and descriptions are left out.
 */
import type { PublicEventEnvelope, PublicEventType } from './envelope';

/** 'YYYY-MM-DD' */
export type IsoDate = string;

/** A catalogue version: `{ id: 'utrecht', version: '2019' }`. */
export type CatalogueRef = { readonly id: string; readonly version: string };

export type BlockCategory = 'employment' | 'bonus' | 'purchase' | 'hourly' | 'agreement';

/** A building block of a catalogue version, with its names as published. */
export type BlockRef = { readonly code: string; readonly category: BlockCategory; readonly nameNl: string; readonly nameEn: string };

export type ObligationStatus = 'on-track' | 'behind' | 'met' | 'not-met';

export type ContributionKind = 'hire' | 'purchase' | 'knowledge-sharing' | 'activity';

/**
 * What the ledger says a contribution is worth right after the event, under the catalogue
 * version(s) in force (after a migration: the old version before its effective date, the new one
 * from it), with the product's valuation rules (RULES.md), rounded once, half up, to cents.
 *
 * - `asOf`: the date the figures are seen at: the Europe/Amsterdam date of the event's `occurredAt`.
 * - `realisedCents`: counted up to and including `asOf` (a placement's days up to `asOf`, a one-off
 *   dated on or before `asOf`), as in the contract's `realisedCents`.
 * - `committedCents`: realised plus what a running placement (started on or before `asOf`) will
 *   still accrue up to its planned end, or the contract end when open-ended, as in the contract's
 *   `committedCents`. A placement starting after `asOf` and a one-off dated after it count 0 here.
 * - `atContractEndCents`: the contribution's realised value on the contract's end date, as known at
 *   the event: what it is worth over its whole recorded term inside the contract period if nothing
 *   changes (placements to their planned end, future-dated ones included).
 * - All three are 0 for a withdrawn or rejected contribution, for a by-agreement one without an
 *   agreed value (then `awaitingAgreement` is true), for one dated outside the contract period, and
 *   for a per-activity one beyond the day's maximum.
 */
export type Valuation = {
  readonly asOf: IsoDate;
  readonly realisedCents: number;
  readonly committedCents: number;
  readonly atContractEndCents: number;
  /** by-agreement contribution without an agreed value yet */
  readonly awaitingAgreement: boolean;
};

export type ContractRegisteredData = {
  readonly title: string;
  readonly tenderReference: string;
  readonly contractValueCents: number;
  /** decimal percent as a string: '5', '2.5', '7.25' */
  readonly sroiPercentage: string;
  /** the same percentage in basis points (hundredths of a percent): 5% = 500 */
  readonly sroiBasisPoints: number;
  /** contract value × percentage, rounded half up */
  readonly obligationCents: number;
  readonly startDate: IsoDate;
  /** inclusive */
  readonly endDate: IsoDate;
  readonly catalogue: CatalogueRef;
};

export type ContractChangedData =
  | {
      readonly change: 'value';
      readonly effectiveDate: IsoDate;
      readonly contractValueCents: number;
      readonly previousValueCents: number;
      /** the obligation at the new value (in force from `effectiveDate`) */
      readonly obligationCents: number;
    }
  | { readonly change: 'period'; readonly endDate: IsoDate; readonly previousEndDate: IsoDate }
  | {
      readonly change: 'catalogue-migrated';
      readonly effectiveDate: IsoDate;
      readonly from: CatalogueRef;
      readonly to: CatalogueRef;
      /** block codes of `from` → block codes of `to`, as applied */
      readonly blockMapping: Readonly<Record<string, string>>;
    }
  | { readonly change: 'closed' };

type ContributionCommon = {
  readonly contributionId: string;
  /** the catalogue version whose block codes the contribution was recorded in */
  readonly catalogue: CatalogueRef;
  readonly block: BlockRef;
  readonly valuation: Valuation;
};

export type ContributionRecordedData =
  | (ContributionCommon & {
      readonly kind: 'hire';
      /** pseudonymous reference issued by the contractor or municipality: never a BSN, name or birth date */
      readonly candidateRef: string;
      readonly bonusCodes: readonly string[];
      readonly startDate: IsoDate;
      /** planned end, null when open-ended */
      readonly endDate: IsoDate | null;
      readonly hoursPerWeek: number;
      readonly permanent: boolean;
    })
  | (ContributionCommon & {
      readonly kind: 'purchase';
      readonly date: IsoDate;
      /** the supplier (a social enterprise or sheltered workshop) */
      readonly supplier: { readonly name: string; readonly kvk: string | null };
      readonly invoiceReference: string;
      readonly amountExclVatCents: number;
    })
  | (ContributionCommon & { readonly kind: 'knowledge-sharing'; readonly date: IsoDate; readonly hours: number | null; readonly costCents: number | null })
  | (ContributionCommon & {
      readonly kind: 'activity';
      readonly date: IsoDate;
      readonly costCents: number | null;
      readonly valuedBy: 'agreement' | 'per-activity' | 'invoice';
    });

type ContributionRef = { readonly contributionId: string; readonly kind: ContributionKind };

export type ContributionChangedData =
  | (ContributionRef & {
      readonly change: 'placement-changed';
      readonly effectiveDate: IsoDate;
      readonly hoursPerWeek: number;
      readonly permanent: boolean;
      readonly valuation: Valuation;
    })
  | (ContributionRef & { readonly change: 'placement-ended'; readonly endDate: IsoDate; readonly valuation: Valuation })
  | (ContributionRef & { readonly change: 'agreed-value'; readonly agreedValueCents: number; readonly valuation: Valuation })
  | (ContributionRef & { readonly change: 'withdrawn'; readonly valuation: Valuation });

export type ContributionVerifiedData = ContributionRef & { readonly previousVerdict: 'rejected' | null; readonly valuation: Valuation };

export type ContributionRejectedData = ContributionRef & { readonly previousVerdict: 'verified' | null; readonly valuation: Valuation };

/** The contract's figures on `asOf`, as in its status. */
export type ObligationFigures = {
  readonly contractValueCents: number;
  readonly obligationCents: number;
  readonly realisedCents: number;
  readonly committedCents: number;
  readonly verifiedCents: number;
  readonly awaitingAgreement: number;
  readonly elapsedDays: number;
  readonly contractDays: number;
};

export type ObligationStatusChangedData = {
  /** the status last reported for this contract; null for the first one (at registration) */
  readonly from: ObligationStatus | null;
  readonly to: ObligationStatus;
  readonly asOf: IsoDate;
  readonly figures: ObligationFigures;
};

export interface PublicEventDataMap {
  'contract.registered': ContractRegisteredData;
  'contract.changed': ContractChangedData;
  'contribution.recorded': ContributionRecordedData;
  'contribution.changed': ContributionChangedData;
  'contribution.verified': ContributionVerifiedData;
  'contribution.rejected': ContributionRejectedData;
  'obligation.status-changed': ObligationStatusChangedData;
}

/** A typed public event of one type. */
export type PublicEventOf<T extends PublicEventType> = PublicEventEnvelope<T, PublicEventDataMap[T]>;

/** Any typed public event (discriminated by `type`). */
export type PublicEvent = { [T in PublicEventType]: PublicEventOf<T> }[PublicEventType];
