/**
 * The valuation engine (RULES.md): exact rationals per segment, one rounding per contribution,
 * and a largest-remainder split of that rounded value over the blocks it was valued under.
 */
import { addDays, compareDates, daysInclusive, endOfMonthsPeriod, maxDate, minDate, type CalendarDate } from '../shared/dates';
import { add, allocate, mul, rat, roundHalfUp, safeNumber, sum, ZERO, type Rational } from '../shared/rational';
import { parseScaledDecimal } from '../shared/rational';
import { findBlock, maxCountedMonthsOf, permanentBonusOf, refLabel } from '../catalogues/catalogue';
import type { BlockCategory, BlockValuation, CatalogueBlock, CatalogueVersion, CatalogueVersionRef } from '../catalogues/types';
import { codeInPeriod, periodIndexOn, type CataloguePeriod, type ContributionState, type OneOffState, type PlacementState } from '../contract/state';

/** An exact part of a contribution's value, under one catalogue version and block. */
export interface ValuePart {
  readonly catalogue: CatalogueVersionRef;
  readonly blockCode: string;
  readonly category: BlockCategory;
  readonly exact: Rational;
}

/** A part after rounding: the parts of a contribution sum to its once-rounded value. */
export interface ValueLine {
  readonly catalogue: CatalogueVersionRef;
  readonly blockCode: string;
  readonly category: BlockCategory;
  readonly cents: number;
}

export interface ContributionValue {
  /** exact value before rounding */
  readonly exact: Rational;
  /** value in cents, rounded once, half up */
  readonly cents: number;
  readonly lines: readonly ValueLine[];
}

export interface ValuationContext {
  readonly periods: readonly CataloguePeriod[];
  readonly contractStart: CalendarDate;
  readonly contractEnd: CalendarDate;
}

class InconsistentHistory extends Error {
  override readonly name = 'InconsistentHistory';
}

function blockIn(v: CatalogueVersion, code: string | undefined, what: string): CatalogueBlock {
  const b = code === undefined ? undefined : findBlock(v, code);
  if (!b) throw new InconsistentHistory(`${what}: block ${code ?? '(unmapped)'} cannot be valued under ${refLabel(v)}`);
  return b;
}

function annualOf(b: CatalogueBlock): bigint {
  if (b.valuation.kind !== 'annual') throw new InconsistentHistory(`block ${b.code} is not valued per year`);
  return BigInt(b.valuation.annualCents);
}

function hundredths(h: number): bigint {
  const v = parseScaledDecimal(h, 2);
  if (v === undefined) throw new InconsistentHistory(`hours ${h} are not exact to two decimals`);
  return v;
}

class PartsBuilder {
  private readonly parts = new Map<string, { catalogue: CatalogueVersionRef; blockCode: string; category: BlockCategory; exact: Rational }>();
  add(v: CatalogueVersion, b: CatalogueBlock, exact: Rational): void {
    const key = `${v.catalogueId}\u0000${v.version}\u0000${b.code}\u0000${b.category}`;
    const cur = this.parts.get(key);
    if (cur) cur.exact = add(cur.exact, exact);
    else this.parts.set(key, { catalogue: { catalogueId: v.catalogueId, version: v.version }, blockCode: b.code, category: b.category, exact });
  }
  build(): ValuePart[] {
    return [...this.parts.values()];
  }
}

/** Exact parts of a placement's value for its counted days up to and including `upTo`. */
export function placementParts(p: PlacementState, ctx: ValuationContext, upTo: CalendarDate): ValuePart[] {
  const first = maxDate(p.startDate, ctx.contractStart);
  const last = minDate(minDate(p.endDate ?? ctx.contractEnd, ctx.contractEnd), upTo);
  const out = new PartsBuilder();
  if (compareDates(first, last) > 0) return [];
  const { periods } = ctx;
  for (let k = p.periodIndex; k < periods.length; k++) {
    const from = maxDate(first, periods[k].effectiveFrom);
    let to = k + 1 < periods.length ? minDate(last, addDays(periods[k + 1].effectiveFrom, -1)) : last;
    if (compareDates(from, to) > 0) continue;
    const v = periods[k].catalogue;
    const what = `placement ${p.id}`;
    const block = blockIn(v, codeInPeriod(periods, p.blockCode, p.periodIndex, k), what);
    const max = maxCountedMonthsOf(v, block);
    if (max !== null) to = minDate(to, endOfMonthsPeriod(first, max));
    if (compareDates(from, to) > 0) continue;
    const bonuses = p.bonusCodes.map((c) => blockIn(v, codeInPeriod(periods, c, p.periodIndex, k), what));
    const permanentBonus = permanentBonusOf(v);
    const fte100 = BigInt(v.parameters.fteHours) * 100n;
    for (let i = 0; i < p.terms.length; i++) {
      const t = p.terms[i];
      const segFrom = maxDate(from, t.effectiveDate);
      const segTo = i + 1 < p.terms.length ? minDate(to, addDays(p.terms[i + 1].effectiveDate, -1)) : to;
      if (compareDates(segFrom, segTo) > 0) continue;
      const h100 = block.valuedWithoutHours ? fte100 : (() => {
        const h = hundredths(t.hoursPerWeek);
        return h < fte100 ? h : fte100;
      })();
      const days = BigInt(daysInclusive(segFrom, segTo));
      const factor = rat(h100 * days, fte100 * 365n);
      out.add(v, block, mul(rat(annualOf(block)), factor));
      for (const b of bonuses) out.add(v, b, mul(rat(annualOf(b)), factor));
      if (t.permanent && permanentBonus) out.add(v, permanentBonus, mul(rat(annualOf(permanentBonus)), factor));
    }
  }
  return out.build();
}

function factorOf(val: BlockValuation, code: string): Rational {
  if (val.kind === 'invoice' || val.kind === 'invoice-or-hourly') return rat(val.factorBasisPoints, 10000);
  throw new InconsistentHistory(`block ${code} does not accept an invoice amount`);
}

/** Exact parts of a one-off contribution dated up to and including `upTo`. */
export function oneOffParts(c: OneOffState, ctx: ValuationContext, upTo: CalendarDate, countsToday = true): ValuePart[] {
  if (compareDates(c.date, ctx.contractStart) < 0 || compareDates(c.date, ctx.contractEnd) > 0 || compareDates(c.date, upTo) > 0) return [];
  const k = periodIndexOn(ctx.periods, c.date);
  const v = ctx.periods[Math.max(k, c.periodIndex)].catalogue;
  const kk = Math.max(k, c.periodIndex);
  const block = blockIn(v, codeInPeriod(ctx.periods, c.blockCode, c.periodIndex, kk), `contribution ${c.id}`);
  const val = block.valuation;
  let exact: Rational;
  switch (c.input) {
    case 'invoice':
      exact = mul(rat(c.amountExclVatCents ?? c.costCents ?? 0), factorOf(val, block.code));
      break;
    case 'hours': {
      if (val.kind !== 'hourly' && val.kind !== 'invoice-or-hourly') throw new InconsistentHistory(`block ${block.code} does not accept hours`);
      const rate = BigInt(val.rateCents ?? v.parameters.hourlyRateCents);
      exact = rat(hundredths(c.hours ?? 0) * rate, 100n);
      break;
    }
    case 'agreement':
      if (val.kind !== 'agreement') throw new InconsistentHistory(`block ${block.code} is not valued by agreement`);
      exact = rat(c.agreedValueCents ?? 0);
      break;
    case 'per-activity':
      if (val.kind !== 'per-activity') throw new InconsistentHistory(`block ${block.code} is not valued per activity`);
      exact = countsToday ? rat(val.amountCents) : ZERO;
      break;
  }
  const b = new PartsBuilder();
  b.add(v, block, exact);
  return b.build();
}

/** Rounds a contribution once (half up) and splits the cents over its parts (largest remainder). */
export function roundParts(parts: readonly ValuePart[]): ContributionValue {
  const exact = sum(parts.map((p) => p.exact));
  const total = roundHalfUp(exact);
  const alloc = allocate(total, parts.map((p) => p.exact));
  return {
    exact,
    cents: safeNumber(total),
    lines: parts.map((p, i) => ({ catalogue: p.catalogue, blockCode: p.blockCode, category: p.category, cents: safeNumber(alloc[i]) })),
  };
}

/** The per-activity contributions that count: per contract per day, the first `maxPerDay` recorded. */
export function countedActivities(contributions: readonly ContributionState[], ctx: ValuationContext): Set<string> {
  const byDay = new Map<string, OneOffState[]>();
  for (const c of contributions) {
    if (c.kind !== 'activity' || c.input !== 'per-activity' || c.withdrawn || c.verdict === 'rejected') continue;
    const list = byDay.get(c.date) ?? [];
    list.push(c);
    byDay.set(c.date, list);
  }
  const out = new Set<string>();
  for (const list of byDay.values()) {
    list.sort((a, b) => a.seq - b.seq);
    const k = periodIndexOn(ctx.periods, list[0].date);
    let max = 1;
    try {
      const first = list[0];
      const kk = Math.max(k, first.periodIndex);
      const b = findBlock(ctx.periods[kk].catalogue, codeInPeriod(ctx.periods, first.blockCode, first.periodIndex, kk) ?? '');
      if (b?.valuation.kind === 'per-activity') max = b.valuation.maxPerDay;
    } catch {
      max = 1;
    }
    list.slice(0, max).forEach((c) => out.add(c.id));
  }
  return out;
}

export function contributionParts(c: ContributionState, ctx: ValuationContext, upTo: CalendarDate, counted: Set<string>): ValuePart[] {
  return c.kind === 'placement' ? placementParts(c, ctx, upTo) : oneOffParts(c, ctx, upTo, c.input !== 'per-activity' || counted.has(c.id));
}
