/** Commands of one contract stream. Ids and dates come in as arguments; the domain reads no clock. */
import type { CalendarDate } from '../shared/dates';
import type { CatalogueVersion, CatalogueVersionRef } from '../catalogues/types';

export interface Contractor {
  /** KvK number: 8 digits */
  readonly kvk: string;
  readonly name: string;
}

export interface RegisterContract {
  readonly type: 'RegisterContract';
  readonly data: {
    readonly contractId: string;
    readonly municipality: string;
    readonly title: string;
    readonly tenderReference: string;
    readonly contractor: Contractor;
    readonly contractValueCents: number;
    /** decimal percent, at most two decimals: 5, 2.5, '7.25' */
    readonly sroiPercentage: number | string;
    readonly startDate: CalendarDate;
    readonly endDate: CalendarDate;
    /** the catalogue version, resolved by the caller (decide looks nothing up) */
    readonly catalogue: CatalogueVersion;
    /** the version the caller found in force on the start date, if it looked it up */
    readonly versionInForceOnStart?: CatalogueVersionRef;
    /** set by an advisor who names a version other than the one in force on the start date */
    readonly explicitVersion?: boolean;
  };
}

export interface ChangeContractValue {
  readonly type: 'ChangeContractValue';
  readonly data: { readonly contractValueCents: number; readonly effectiveDate: CalendarDate; readonly reason: string };
}

export interface ChangeContractPeriod {
  readonly type: 'ChangeContractPeriod';
  readonly data: { readonly endDate: CalendarDate; readonly reason: string };
}

export interface MigrateCatalogue {
  readonly type: 'MigrateCatalogue';
  readonly data: {
    /** the target catalogue version, resolved by the caller */
    readonly catalogue: CatalogueVersion;
    readonly effectiveDate: CalendarDate;
    /** advisor's mapping old code → new code; completes or overrides the declared replacements */
    readonly blockMapping?: Readonly<Record<string, string>>;
    readonly explicitVersion?: boolean;
    readonly reason: string;
  };
}

export interface RecordHire {
  readonly type: 'RecordHire';
  readonly data: {
    /** the placement id, which is also the contribution id */
    readonly placementId: string;
    /** pseudonymous reference issued by the contractor or municipality: never a BSN, name or birth date */
    readonly candidateRef: string;
    readonly blockCode: string;
    readonly bonusCodes?: readonly string[];
    readonly startDate: CalendarDate;
    /** planned end, if any */
    readonly endDate?: CalendarDate | null;
    readonly hoursPerWeek: number;
    readonly permanent: boolean;
  };
}

export interface ChangePlacement {
  readonly type: 'ChangePlacement';
  readonly data: {
    readonly placementId: string;
    readonly effectiveDate: CalendarDate;
    readonly hoursPerWeek?: number;
    readonly permanent?: boolean;
  };
}

export interface EndPlacement {
  readonly type: 'EndPlacement';
  readonly data: { readonly placementId: string; readonly endDate: CalendarDate; readonly reason: string };
}

export interface Supplier {
  readonly name: string;
  readonly kvk?: string;
}

export interface RecordPurchase {
  readonly type: 'RecordPurchase';
  readonly data: {
    readonly contributionId: string;
    readonly supplier: Supplier;
    readonly invoiceReference: string;
    readonly amountExclVatCents: number;
    readonly date: CalendarDate;
    readonly blockCode: string;
  };
}

/** Knowledge sharing or help to a social initiative: hours, or (for blocks that accept it) costs. */
export interface RecordKnowledgeSharing {
  readonly type: 'RecordKnowledgeSharing';
  readonly data: {
    readonly contributionId: string;
    readonly description: string;
    readonly date: CalendarDate;
    readonly blockCode: string;
    readonly hours?: number;
    readonly costCents?: number;
  };
}

/** A social activity or other by-agreement work. */
export interface RecordActivity {
  readonly type: 'RecordActivity';
  readonly data: {
    readonly contributionId: string;
    readonly description: string;
    readonly date: CalendarDate;
    readonly blockCode: string;
    readonly costCents?: number;
  };
}

export interface RecordAgreedValue {
  readonly type: 'RecordAgreedValue';
  readonly data: { readonly contributionId: string; readonly valueCents: number; readonly note: string };
}

export interface RecordVerification {
  readonly type: 'RecordVerification';
  readonly data: { readonly contributionId: string; readonly verdict: 'verified' | 'rejected'; readonly note?: string };
}

export interface WithdrawContribution {
  readonly type: 'WithdrawContribution';
  readonly data: { readonly contributionId: string; readonly reason: string };
}

export interface CloseContract {
  readonly type: 'CloseContract';
  readonly data: { readonly reason: string };
}

export type ContractCommand =
  | RegisterContract
  | ChangeContractValue
  | ChangeContractPeriod
  | MigrateCatalogue
  | RecordHire
  | ChangePlacement
  | EndPlacement
  | RecordPurchase
  | RecordKnowledgeSharing
  | RecordActivity
  | RecordAgreedValue
  | RecordVerification
  | WithdrawContribution
  | CloseContract;

export type ContractCommandType = ContractCommand['type'];
