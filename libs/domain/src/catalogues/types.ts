/** Versioned building-block catalogues (bouwblokkenmodellen). */
import type { CalendarDate } from '../shared/dates';

export const BLOCK_CATEGORIES = ['employment', 'bonus', 'purchase', 'hourly', 'agreement'] as const;
export type BlockCategory = (typeof BLOCK_CATEGORIES)[number];

/** How a block is valued. Amounts in euro cents; factors in basis points (10000 = 100%). */
export type BlockValuation =
  /** per FTE-year, pro rata per day and per hours (employment and bonus blocks) */
  | { readonly kind: 'annual'; readonly annualCents: number }
  /** hours × hourly rate; `rateCents` overrides the version's hourly rate */
  | { readonly kind: 'hourly'; readonly rateCents?: number }
  /** amount excluding VAT × factor */
  | { readonly kind: 'invoice'; readonly factorBasisPoints: number }
  /** either: the contribution states hours or an invoice amount */
  | { readonly kind: 'invoice-or-hourly'; readonly factorBasisPoints: number; readonly rateCents?: number }
  /** a fixed amount per activity, at most `maxPerDay` counted per contract per day */
  | { readonly kind: 'per-activity'; readonly amountCents: number; readonly maxPerDay: number }
  /** worth 0 and awaiting agreement until an advisor records the agreed value */
  | { readonly kind: 'agreement' };

export type ValuationKind = BlockValuation['kind'];

export interface CatalogueBlock {
  /** stable identifier used in contracts, events and integrations */
  readonly code: string;
  readonly nameNl: string;
  readonly nameEn: string;
  readonly category: BlockCategory;
  readonly valuation: BlockValuation;
  /** codes of the previous version this block replaces: the default migration mapping */
  readonly replaces?: readonly string[];
  /** the permanent-contract bonus: applies, from the day the placement became permanent, to permanent placements */
  readonly permanentBonus?: boolean;
  /** a bonus that may only be added to placements on these employment blocks */
  readonly appliesTo?: readonly string[];
  /** an annual block valued per year without hours (e.g. a BOL internship): hours = FTE hours */
  readonly valuedWithoutHours?: boolean;
  /** maximum counted period of a placement on this block, overriding the version's; null = unlimited */
  readonly maxCountedMonths?: number | null;
  /** assumptions and remarks */
  readonly note?: string;
}

export interface CatalogueParameters {
  /** hours of a full-time week (RULES: 36 unless the catalogue says otherwise) */
  readonly fteHours: number;
  /** hourly rate for hourly blocks, in cents */
  readonly hourlyRateCents: number;
  /** how many months before the contract start a hire may have started */
  readonly preStartHireWindowMonths: number;
  /** maximum counted period per placement (months), null = unlimited */
  readonly maxCountedMonths: number | null;
  /** minimum hours per week of a placement, null = none */
  readonly minHoursPerWeek: number | null;
  /** contract value from which social return applies, informative, null = not published */
  readonly thresholdCents: number | null;
}

export interface CatalogueVersionRef {
  readonly catalogueId: string;
  readonly version: string;
}

export interface CatalogueVersion extends CatalogueVersionRef {
  /** the municipality or region that publishes the catalogue */
  readonly authority: string;
  readonly validFrom: CalendarDate;
  /** the previous version of the same catalogue that this version replaces, if any */
  readonly replacesVersion: string | null;
  readonly parameters: CatalogueParameters;
  readonly blocks: readonly CatalogueBlock[];
  /** groups of bonuses of which a placement may carry at most one (Harlingen: 50+ and 55+) */
  readonly exclusiveBonusGroups: readonly (readonly string[])[];
  /** where the values were published */
  readonly source: string;
  /** assumptions (marked "assumed") and remarks */
  readonly note: string;
}
