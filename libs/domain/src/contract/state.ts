/** The state of one contract stream, folded from its events by `evolve`. Plain data, serialisable. */
import type { CalendarDate } from '../shared/dates';
import { compareDates } from '../shared/dates';
import type { CatalogueVersion, CatalogueVersionRef } from '../catalogues/types';
import type { Contractor, Supplier } from './commands';
import type { OneOffInput } from './events';

/** The catalogue version a contract is valued under from `effectiveFrom` on. */
export interface CataloguePeriod {
  readonly effectiveFrom: CalendarDate;
  readonly catalogue: CatalogueVersion;
  /** maps codes of the previous period's version to codes of this one ({} for the first period) */
  readonly mappingFromPrevious: Readonly<Record<string, string>>;
}

export interface PlacementTerms {
  readonly effectiveDate: CalendarDate;
  readonly hoursPerWeek: number;
  readonly permanent: boolean;
  /** recording order, to break ties between changes with the same effective date */
  readonly seq: number;
}

interface ContributionBase {
  readonly id: string;
  /** recording order within the stream */
  readonly seq: number;
  /** index of the catalogue period whose version names this contribution's block codes */
  readonly periodIndex: number;
  readonly catalogue: CatalogueVersionRef;
  readonly blockCode: string;
  readonly withdrawn: boolean;
  readonly verdict: 'verified' | 'rejected' | null;
}

export interface PlacementState extends ContributionBase {
  readonly kind: 'placement';
  readonly candidateRef: string;
  readonly bonusCodes: readonly string[];
  readonly startDate: CalendarDate;
  /** planned end, replaced by the actual end when the placement is ended */
  readonly endDate: CalendarDate | null;
  readonly ended: boolean;
  /** the initial terms and every change, sorted by effective date then recording order */
  readonly terms: readonly PlacementTerms[];
}

export interface OneOffState extends ContributionBase {
  readonly kind: 'purchase' | 'knowledge-sharing' | 'activity';
  readonly date: CalendarDate;
  readonly input: OneOffInput;
  readonly description: string;
  readonly amountExclVatCents: number | null;
  readonly hours: number | null;
  readonly costCents: number | null;
  readonly agreedValueCents: number | null;
  readonly supplier?: Supplier;
  readonly invoiceReference?: string;
}

export type ContributionState = PlacementState | OneOffState;

export interface ContractValueEntry {
  readonly effectiveDate: CalendarDate;
  readonly valueCents: number;
  readonly seq: number;
}

export interface RegisteredContract {
  readonly status: 'open' | 'closed';
  readonly contractId: string;
  readonly municipality: string;
  readonly title: string;
  readonly tenderReference: string;
  readonly contractor: Contractor;
  readonly sroiBasisPoints: number;
  readonly startDate: CalendarDate;
  readonly endDate: CalendarDate;
  /** the registered value (effective from the start) and every change */
  readonly values: readonly ContractValueEntry[];
  readonly periods: readonly CataloguePeriod[];
  readonly contributions: Readonly<Record<string, ContributionState>>;
  /** number of events folded so far */
  readonly seq: number;
  readonly closeReason: string | null;
}

export type ContractState = { readonly status: 'unregistered'; readonly seq: number } | RegisteredContract;

export const initialState: ContractState = { status: 'unregistered', seq: 0 };

export const isRegistered = (s: ContractState): s is RegisteredContract => s.status !== 'unregistered';

/** Index of the catalogue period in force on `date` (the first one for dates before the start). */
export function periodIndexOn(periods: readonly CataloguePeriod[], date: CalendarDate): number {
  let k = 0;
  for (let i = 1; i < periods.length; i++) if (compareDates(periods[i].effectiveFrom, date) <= 0) k = i;
  return k;
}

/** The contract value in force on `date` (the registered value before the start). */
export function valueInForce(c: RegisteredContract, date: CalendarDate): number {
  let best = c.values[0];
  for (const v of c.values) {
    if (compareDates(v.effectiveDate, date) <= 0 && (compareDates(v.effectiveDate, best.effectiveDate) > 0 || (v.effectiveDate === best.effectiveDate && v.seq > best.seq))) best = v;
  }
  return best.valueCents;
}

/**
 * The code a block named in period `from` has in period `to` (following each migration's
 * mapping), or undefined when a migration on the way does not map it.
 */
export function codeInPeriod(periods: readonly CataloguePeriod[], code: string, from: number, to: number): string | undefined {
  let c: string | undefined = code;
  for (let k = from + 1; k <= to && c !== undefined; k++) c = periods[k].mappingFromPrevious[c];
  return c;
}
