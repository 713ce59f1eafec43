/**
 * The reference implementation of the status computation, as it was before the fast path: exact
 * BigInt rationals for every segment (`roundParts(contributionParts(…))`), folding with
 * `reduce(evolve)` and comparing instants one by one. Only the tests use it, to check that the
 * fast `statusOf`, `figuresOf` and `fold` give exactly the same results on random histories.
 */
import { assertDate, compareDates, daysInclusive, minDate, type CalendarDate } from '../shared/dates';
import { obligationCents, basisPointsToPercentage } from '../shared/money';
import { refuse } from '../shared/errors';
import { compareInstants, instantKey } from '../shared/instants';
import { BLOCK_CATEGORIES, type BlockCategory } from '../catalogues/types';
import { findBlock } from '../catalogues/catalogue';
import type { ContractEvent, RecordedEvent } from '../contract/events';
import { evolve } from '../contract/evolve';
import { codeInPeriod, initialState, isRegistered, periodIndexOn, valueInForce, type ContractState, type RegisteredContract } from '../contract/state';
import { contributionParts, countedActivities, roundParts, type ValuationContext, type ValueLine } from '../valuation/engine';
import { statusLabel, type BlockFigures, type ContractStatus, type ContributionCounting, type ContributionFigures } from '../status/figures';

/** `events.reduce(evolve, from)`: the fold with a copy of the state for every event. */
export const referenceFold = (events: readonly ContractEvent[], from: ContractState = initialState): ContractState => events.reduce(evolve, from);

export function referenceKnownAt(history: readonly RecordedEvent[], instant: string): ContractEvent[] {
  instantKey(instant);
  return history.filter((e) => compareInstants(e.recordedAt, instant) <= 0).map((e) => e.event);
}

export function referenceStatusOf(history: readonly RecordedEvent[], query: { asOf: CalendarDate; knownAt: string }): ContractStatus {
  assertDate(query.asOf, 'asOf');
  const state = referenceFold(referenceKnownAt(history, query.knownAt));
  if (!isRegistered(state)) refuse('contract-not-registered', `no contract registration was recorded at or before ${query.knownAt}`);
  return referenceFiguresOf(state, query.asOf, query.knownAt);
}

const zero = (): { realisedCents: number; committedCents: number; verifiedCents: number; awaitingAgreement: number } => ({
  realisedCents: 0,
  committedCents: 0,
  verifiedCents: 0,
  awaitingAgreement: 0,
});

/** The figures of a registered contract as seen on `asOf`, from a state already cut at knownAt. */
export function referenceFiguresOf(c: RegisteredContract, asOf: CalendarDate, knownAt: string | null = null): ContractStatus {
  assertDate(asOf, 'asOf');
  const ctx: ValuationContext = { periods: c.periods, contractStart: c.startDate, contractEnd: c.endDate };
  const all = Object.values(c.contributions).sort((a, b) => a.seq - b.seq);
  const counted = countedActivities(all, ctx);
  const byCategory = Object.fromEntries(BLOCK_CATEGORIES.map((k) => [k, zero()])) as Record<BlockCategory, ReturnType<typeof zero>>;
  const blocks = new Map<string, BlockFigures & ReturnType<typeof zero>>();
  const lineOf = (catalogueId: string, version: string, blockCode: string, category: BlockCategory) => {
    const key = `${catalogueId}\u0000${version}\u0000${blockCode}\u0000${category}`;
    let l = blocks.get(key);
    if (!l) {
      const v = c.periods.find((p) => p.catalogue.catalogueId === catalogueId && p.catalogue.version === version)?.catalogue;
      const b = v ? findBlock(v, blockCode) : undefined;
      l = { catalogueId, version, blockCode, category, nameNl: b?.nameNl ?? blockCode, nameEn: b?.nameEn ?? blockCode, ...zero() };
      blocks.set(key, l);
    }
    return l;
  };
  const addLines = (lines: readonly ValueLine[], field: 'realisedCents' | 'committedCents' | 'verifiedCents') => {
    for (const l of lines) {
      lineOf(l.catalogue.catalogueId, l.catalogue.version, l.blockCode, l.category)[field] += l.cents;
      byCategory[l.category][field] += l.cents;
    }
  };
  const totals = zero();
  const contributions: ContributionFigures[] = [];
  for (const x of all) {
    const refDate = x.kind === 'placement' ? minDate(asOf, x.endDate ?? asOf) : x.date;
    const k = Math.max(x.periodIndex, periodIndexOn(c.periods, refDate));
    const code = codeInPeriod(c.periods, x.blockCode, x.periodIndex, k) ?? x.blockCode;
    const cat = c.periods[k].catalogue;
    const base = { contributionId: x.id, kind: x.kind, catalogueId: cat.catalogueId, version: cat.version, blockCode: code };
    if (x.withdrawn || x.verdict === 'rejected') {
      contributions.push({ ...base, realisedCents: 0, committedCents: 0, verified: false, counting: x.withdrawn ? 'withdrawn' : 'rejected' });
      continue;
    }
    const realised = roundParts(contributionParts(x, ctx, asOf, counted));
    const committedUpTo = x.kind === 'placement' && compareDates(x.startDate, asOf) <= 0 ? (x.endDate ?? c.endDate) : asOf;
    const committed = compareDates(committedUpTo, asOf) > 0 ? roundParts(contributionParts(x, ctx, committedUpTo, counted)) : realised;
    addLines(realised.lines, 'realisedCents');
    addLines(committed.lines, 'committedCents');
    totals.realisedCents += realised.cents;
    totals.committedCents += committed.cents;
    const verified = x.verdict === 'verified';
    if (verified) {
      addLines(realised.lines, 'verifiedCents');
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
    contributions.push({ ...base, realisedCents: realised.cents, committedCents: committed.cents, verified, counting });
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

function periodOrder(c: RegisteredContract, l: { catalogueId: string; version: string }): number {
  const i = c.periods.findIndex((p) => p.catalogue.catalogueId === l.catalogueId && p.catalogue.version === l.version);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}
