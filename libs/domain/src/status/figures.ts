/** Figures of a contract on a date, from a folded state: obligation, realised, committed, verified. */
import { assertDate, compareDates, daysInclusive, minDate, type CalendarDate } from '../shared/dates';
import { obligationCents, basisPointsToPercentage } from '../shared/money';
import { BLOCK_CATEGORIES, type BlockCategory, type CatalogueBlock, type CatalogueVersion } from '../catalogues/types';
import { findBlock } from '../catalogues/catalogue';
import { contributionList } from '../contract/contributions';
import { codeInPeriod, periodIndexOn, valueInForce, type ContributionState, type RegisteredContract } from '../contract/state';
import { contributionValue, countedActivities, type RoundedLine, type ValuationContext } from '../valuation/engine';

export type StatusLabel = 'on-track' | 'behind' | 'met' | 'not-met';

export interface Figures {
  readonly realisedCents: number;
  readonly committedCents: number;
  readonly verifiedCents: number;
  /** count of by-agreement contributions without an agreed value */
  readonly awaitingAgreement: number;
}

export interface BlockFigures extends Figures {
  readonly catalogueId: string;
  readonly version: string;
  readonly blockCode: string;
  readonly category: BlockCategory;
  readonly nameNl: string;
  readonly nameEn: string;
}

export type ContributionCounting = 'counted' | 'withdrawn' | 'rejected' | 'awaiting-agreement' | 'not-counted-same-day' | 'outside-period' | 'future';

export interface ContributionFigures {
  readonly contributionId: string;
  readonly kind: ContributionState['kind'];
  readonly catalogueId: string;
  readonly version: string;
  readonly blockCode: string;
  readonly realisedCents: number;
  readonly committedCents: number;
  readonly verified: boolean;
  readonly counting: ContributionCounting;
}

export interface ContractStatus extends Figures {
  readonly contractId: string;
  readonly asOf: CalendarDate;
  readonly knownAt: string | null;
  /** the catalogue version in force on asOf */
  readonly catalogue: { readonly id: string; readonly version: string };
  readonly contractValueCents: number;
  readonly sroiPercentage: string;
  readonly sroiBasisPoints: number;
  readonly startDate: CalendarDate;
  readonly endDate: CalendarDate;
  readonly obligationCents: number;
  readonly status: StatusLabel;
  /** days of the contract elapsed on asOf (0 before the start, all after the end) */
  readonly elapsedDays: number;
  readonly contractDays: number;
  readonly closed: boolean;
  readonly byCategory: Readonly<Record<BlockCategory, Figures>>;
  readonly byBlock: readonly BlockFigures[];
  readonly contributions: readonly ContributionFigures[];
}

const zero = (): { realisedCents: number; committedCents: number; verifiedCents: number; awaitingAgreement: number } => ({
  realisedCents: 0,
  committedCents: 0,
  verifiedCents: 0,
  awaitingAgreement: 0,
});

export function statusLabel(realised: number, obligation: number, asOf: CalendarDate, start: CalendarDate, end: CalendarDate): StatusLabel {
  if (realised >= obligation) return 'met';
  if (compareDates(asOf, end) > 0) return 'not-met';
  const contractDays = BigInt(daysInclusive(start, end));
  const elapsed = BigInt(compareDates(asOf, start) < 0 ? 0 : daysInclusive(start, minDate(asOf, end)));
  return BigInt(realised) * contractDays >= BigInt(obligation) * elapsed ? 'on-track' : 'behind';
}

/** The figures of a registered contract as seen on `asOf`, from a state already cut at knownAt. */
export function figuresOf(c: RegisteredContract, asOf: CalendarDate, knownAt: string | null = null): ContractStatus {
  assertDate(asOf, 'asOf');
  const ctx: ValuationContext = { periods: c.periods, contractStart: c.startDate, contractEnd: c.endDate };
  const all = contributionList(c.contributions).sort((a, b) => a.seq - b.seq);
  const counted = countedActivities(all, ctx);
  const byCategory = Object.fromEntries(BLOCK_CATEGORIES.map((k) => [k, zero()])) as Record<BlockCategory, ReturnType<typeof zero>>;
  const blocks = new Map<string, BlockFigures & ReturnType<typeof zero>>();
  const lineOf = (catalogueId: string, version: string, blockCode: string, category: BlockCategory) => {
    const key = `${catalogueId}\u0000${version}\u0000${blockCode}\u0000${category}`;
    let l = blocks.get(key);
    if (!l) {
      const v = c.periods.find((p) => p.catalogue.catalogueId === catalogueId && p.catalogue.version === version)?.catalogue;
      const b = v ? findBlock(v, blockCode) : undefined;
      l = { catalogueId, version, blockCode, category, nameNl: b?.nameNl ?? blockCode, nameEn: b?.nameEn ?? blockCode, realisedCents: 0, committedCents: 0, verifiedCents: 0, awaitingAgreement: 0 };
      blocks.set(key, l);
    }
    return l;
  };
  // The fast valuation names the version and block objects of a line: look those up by identity
  // first (cheaper than building the string key), falling back to the key (same line either way).
  const byObject = new Map<CatalogueVersion, Map<CatalogueBlock, BlockFigures & ReturnType<typeof zero>>>();
  const lineFor = (l: RoundedLine) => {
    if (l.version === undefined || l.block === undefined) return lineOf(l.catalogue.catalogueId, l.catalogue.version, l.blockCode, l.category);
    let m = byObject.get(l.version);
    if (!m) byObject.set(l.version, (m = new Map()));
    let x = m.get(l.block);
    if (!x) m.set(l.block, (x = lineOf(l.catalogue.catalogueId, l.catalogue.version, l.blockCode, l.category)));
    return x;
  };
  // One function per figure rather than one taking the field's name: a store through a computed
  // name is megamorphic, and this loop runs for every line of every contribution (~a quarter of
  // figuresOf with the name as a parameter).
  const addRealised = (lines: readonly RoundedLine[]) => {
    for (const l of lines) {
      lineFor(l).realisedCents += l.cents;
      byCategory[l.category].realisedCents += l.cents;
    }
  };
  const addCommitted = (lines: readonly RoundedLine[]) => {
    for (const l of lines) {
      lineFor(l).committedCents += l.cents;
      byCategory[l.category].committedCents += l.cents;
    }
  };
  const addVerified = (lines: readonly RoundedLine[]) => {
    for (const l of lines) {
      lineFor(l).verifiedCents += l.cents;
      byCategory[l.category].verifiedCents += l.cents;
    }
  };
  const totals = zero();
  const contributions: ContributionFigures[] = [];
  for (const x of all) {
    const refDate = x.kind === 'placement' ? minDate(asOf, x.endDate ?? asOf) : x.date;
    const k = Math.max(x.periodIndex, periodIndexOn(c.periods, refDate));
    const code = codeInPeriod(c.periods, x.blockCode, x.periodIndex, k) ?? x.blockCode;
    const cat = c.periods[k].catalogue;
    // (object literals rather than spreading a shared base: the spread was the hot spot of figuresOf)
    if (x.withdrawn || x.verdict === 'rejected') {
      contributions.push(contributionFigures(x, cat.catalogueId, cat.version, code, 0, 0, false, x.withdrawn ? 'withdrawn' : 'rejected'));
      continue;
    }
    const realised = contributionValue(x, ctx, asOf, counted);
    const committedUpTo = x.kind === 'placement' && compareDates(x.startDate, asOf) <= 0 ? (x.endDate ?? c.endDate) : asOf;
    const committed = compareDates(committedUpTo, asOf) > 0 ? contributionValue(x, ctx, committedUpTo, counted) : realised;
    addRealised(realised.lines);
    addCommitted(committed.lines);
    totals.realisedCents += realised.cents;
    totals.committedCents += committed.cents;
    const verified = x.verdict === 'verified';
    if (verified) {
      addVerified(realised.lines);
      totals.verifiedCents += realised.cents;
    }
    let counting: ContributionCounting = 'counted';
    const date = x.kind === 'placement' ? x.startDate : x.date;
    if (x.kind !== 'placement' && (compareDates(x.date, c.startDate) < 0 || compareDates(x.date, c.endDate) > 0)) counting = 'outside-period';
    else if (compareDates(date, asOf) > 0) counting = 'future';
    else if (x.kind !== 'placement' && x.input === 'agreement' && x.agreedValueCents === null) {
      counting = 'awaiting-agreement';
      totals.awaitingAgreement += 1;
      const b = findBlock(cat, code);
      const category = b?.category ?? 'agreement';
      lineOf(cat.catalogueId, cat.version, code, category).awaitingAgreement += 1;
      byCategory[category].awaitingAgreement += 1;
    } else if (x.kind !== 'placement' && x.input === 'per-activity' && !counted.has(x.id)) counting = 'not-counted-same-day';
    contributions.push(contributionFigures(x, cat.catalogueId, cat.version, code, realised.cents, committed.cents, verified, counting));
  }
  const contractValueCents = valueInForce(c, asOf);
  const obligation = obligationCents(contractValueCents, c.sroiBasisPoints);
  const current = c.periods[periodIndexOn(c.periods, asOf)].catalogue;
  const byBlock = [...blocks.values()].sort(
    (a, b) =>
      periodOrder(c, a) - periodOrder(c, b) ||
      BLOCK_CATEGORIES.indexOf(a.category) - BLOCK_CATEGORIES.indexOf(b.category) ||
      (a.blockCode < b.blockCode ? -1 : a.blockCode > b.blockCode ? 1 : 0),
  );
  return {
    contractId: c.contractId,
    asOf,
    knownAt,
    catalogue: { id: current.catalogueId, version: current.version },
    contractValueCents,
    sroiPercentage: basisPointsToPercentage(c.sroiBasisPoints),
    sroiBasisPoints: c.sroiBasisPoints,
    startDate: c.startDate,
    endDate: c.endDate,
    obligationCents: obligation,
    ...totals,
    status: statusLabel(totals.realisedCents, obligation, asOf, c.startDate, c.endDate),
    elapsedDays: compareDates(asOf, c.startDate) < 0 ? 0 : daysInclusive(c.startDate, minDate(asOf, c.endDate)),
    contractDays: daysInclusive(c.startDate, c.endDate),
    closed: c.status === 'closed',
    byCategory,
    byBlock,
    contributions,
  };
}

function contributionFigures(
  x: ContributionState,
  catalogueId: string,
  version: string,
  blockCode: string,
  realisedCents: number,
  committedCents: number,
  verified: boolean,
  counting: ContributionCounting,
): ContributionFigures {
  return { contributionId: x.id, kind: x.kind, catalogueId, version, blockCode, realisedCents, committedCents, verified, counting };
}

function periodOrder(c: RegisteredContract, l: { catalogueId: string; version: string }): number {
  const i = c.periods.findIndex((p) => p.catalogue.catalogueId === l.catalogueId && p.catalogue.version === l.version);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}
