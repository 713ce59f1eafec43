/** The contractor's planner: what a social-return plan of intended blocks would be worth. Pure. */
import { refuse } from './shared/errors';
import { assertCents, hoursToHundredths, obligationCents, percentageToBasisPoints } from './shared/money';
import { mul, rat, toCents, type Rational } from './shared/rational';
import { getBlock, maxCountedMonthsOf, permanentBonusOf, refLabel } from './catalogues/catalogue';
import type { BlockCategory, CatalogueVersion } from './catalogues/types';
import { checkBonuses } from './contract/decide';

export interface PlannedItem {
  readonly blockCode: string;
  /** employment: bonuses on top (the permanent bonus follows from `permanent`) */
  readonly bonusCodes?: readonly string[];
  /** employment: hours per week (default: FTE hours) */
  readonly hoursPerWeek?: number;
  /** employment: duration in days (Actual/365) ... */
  readonly days?: number;
  /** ... or in months (a month is 1/12 of a year) */
  readonly months?: number;
  /** employment: a permanent contract from the first day */
  readonly permanent?: boolean;
  /** hourly blocks: hours */
  readonly hours?: number;
  /** invoice blocks: amount excluding VAT, in cents */
  readonly amountCents?: number;
  /** per-activity blocks: number of activities (on different days) */
  readonly count?: number;
}

export interface PlannedItemValue {
  readonly blockCode: string;
  readonly category: BlockCategory;
  readonly valueCents: number;
  /** by-agreement blocks are worth 0 until an advisor agrees a value */
  readonly awaitingAgreement: boolean;
}

export interface Estimate {
  readonly catalogue: { readonly id: string; readonly version: string };
  readonly obligationCents: number;
  readonly items: readonly PlannedItemValue[];
  readonly totalCents: number;
  readonly shortfallCents: number;
  readonly meetsObligation: boolean;
}

/** Activities one planned item may count: valued at any catalogue's amount, they stay exact. */
export const MAX_PLANNED_COUNT = 100_000;

function atMost(x: number, max: number, field: string): number {
  if (x > max) refuse('invalid-plan', `${field} must be at most ${max}`, { field, max });
  return x;
}

function positiveInt(x: unknown, field: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x <= 0) refuse('invalid-plan', `${field} must be a positive whole number`, { field });
  return x;
}

function employmentValue(v: CatalogueVersion, item: PlannedItem): Rational {
  const block = getBlock(v, item.blockCode);
  if ((item.days === undefined) === (item.months === undefined)) refuse('invalid-plan', `give either days or months for ${item.blockCode}`);
  let years = item.days !== undefined ? rat(positiveInt(item.days, 'days'), 365) : rat(positiveInt(item.months, 'months'), 12);
  const max = maxCountedMonthsOf(v, block);
  if (max !== null && years.n * 12n > BigInt(max) * years.d) years = rat(max, 12);
  const fte100 = BigInt(v.parameters.fteHours) * 100n;
  const h100 = block.valuedWithoutHours || item.hoursPerWeek === undefined ? fte100 : hoursToHundredths(item.hoursPerWeek, 'hoursPerWeek');
  const min = v.parameters.minHoursPerWeek;
  if (min !== null && h100 < BigInt(Math.round(min * 100))) refuse('below-minimum-hours', `catalogue ${refLabel(v)} counts placements of at least ${min} hours a week`);
  const factor = mul(years, rat(h100 < fte100 ? h100 : fte100, fte100));
  const annuals: number[] = [];
  const bonuses = checkBonuses(v, block, item.bonusCodes ?? []);
  for (const b of [block, ...bonuses.map((c) => getBlock(v, c)), ...(item.permanent ? [permanentBonusOf(v)] : [])]) {
    if (!b) continue;
    if (b.valuation.kind !== 'annual') refuse('block-wrong-category', `block ${b.code} is not valued per year`);
    annuals.push(b.valuation.annualCents);
  }
  return mul(rat(annuals.reduce((a, b) => a + b, 0)), factor);
}

/**
 * Estimates the value of a plan of intended blocks under `version`, against the obligation of a
 * contract of `contractValueCents` at `percentage` (decimal percent). Each item is rounded once.
 */
export function estimate(version: CatalogueVersion, contractValueCents: number, percentage: number | string, items: readonly PlannedItem[]): Estimate {
  const obligation = obligationCents(assertCents(contractValueCents, 'contractValueCents'), percentageToBasisPoints(percentage));
  const out: PlannedItemValue[] = items.map((item) => {
    const b = getBlock(version, item.blockCode);
    let exact: Rational;
    let awaiting = false;
    switch (b.valuation.kind) {
      case 'annual':
        if (b.category !== 'employment') refuse('block-wrong-category', `bonus ${b.code} is planned on an employment item, not on its own`);
        exact = employmentValue(version, item);
        break;
      case 'hourly':
        exact = rat(hoursToHundredths(item.hours, 'hours') * BigInt(b.valuation.rateCents ?? version.parameters.hourlyRateCents), 100n);
        break;
      case 'invoice':
        exact = mul(rat(assertCents(item.amountCents, 'amountCents')), rat(b.valuation.factorBasisPoints, 10000));
        break;
      case 'invoice-or-hourly':
        exact =
          item.hours !== undefined
            ? rat(hoursToHundredths(item.hours, 'hours') * BigInt(b.valuation.rateCents ?? version.parameters.hourlyRateCents), 100n)
            : mul(rat(assertCents(item.amountCents, 'amountCents')), rat(b.valuation.factorBasisPoints, 10000));
        break;
      case 'per-activity':
        exact = rat(b.valuation.amountCents * atMost(positiveInt(item.count ?? 1, 'count'), MAX_PLANNED_COUNT, 'count'));
        break;
      case 'agreement':
        exact = rat(0);
        awaiting = true;
        break;
    }
    return { blockCode: b.code, category: b.category, valueCents: toCents(exact), awaitingAgreement: awaiting };
  });
  const total = out.reduce((a, i) => a + i.valueCents, 0);
  return {
    catalogue: { id: version.catalogueId, version: version.version },
    obligationCents: obligation,
    items: out,
    totalCents: total,
    shortfallCents: Math.max(0, obligation - total),
    meetsObligation: total >= obligation,
  };
}
