/**
 * The valuation engine (RULES.md): exact rationals per segment, one rounding per contribution,
 * and a largest-remainder split of that rounded value over the blocks it was valued under.
 */
import { addDays, compareDates, daysInclusive, endOfMonthsPeriod, maxDate, minDate, toDayNumber, type CalendarDate } from '../shared/dates';
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

// ---------------------------------------------------------------- fast path
//
// The functions above are the reference: exact BigInt rationals, reduced by a gcd at every step.
// `contributionValue` gives the same cents and lines with plain integer arithmetic on numbers:
// a placement's value under one version and block is annual × Σ(h100 × days) / (fte100 × 365),
// so it sums integer numerators over one denominator per catalogue period and divides once.
// Every product and sum is checked to stay within Number.MAX_SAFE_INTEGER (so it is exact).
// Whenever that does not hold, or the history is inconsistent (the reference throws), it returns
// null and the reference computes the value, so results and errors stay exactly the same.

/** A line of the fast path also names the version and block objects it was valued under. */
export interface RoundedLine extends ValueLine {
  readonly version?: CatalogueVersion;
  readonly block?: CatalogueBlock;
}

/** A contribution's value rounded once: the cents and their split over blocks. */
export interface RoundedValue {
  readonly cents: number;
  readonly lines: readonly RoundedLine[];
}

const EMPTY: RoundedValue = { cents: 0, lines: [] };
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Thrown inside the fast path when it cannot continue exactly; caught in `fastValue`. */
const BAIL: unique symbol = Symbol('bail');

const safe = (x: number): number => {
  if (!(x <= MAX_SAFE && x >= -MAX_SAFE)) throw BAIL;
  return x;
};

function gcdN(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** floor(n / d) for safe integers, d > 0, exact (the float quotient is corrected by one if needed). */
function idiv(n: number, d: number): number {
  let q = Math.floor(n / d);
  const r = n - q * d;
  if (r < 0) q -= 1;
  else if (r >= d) q += 1;
  return q;
}

const HOURS_CACHE_MAX = 1_000;
const hoursCache = new Map<number, number>();
/** hundredths(h) as a number; BAIL where the reference would throw. */
function hundredthsN(h: number): number {
  const cached = hoursCache.get(h);
  if (cached !== undefined) return cached;
  if (typeof h !== 'number') throw BAIL;
  const v = parseScaledDecimal(h, 2);
  if (v === undefined || v > BigInt(MAX_SAFE)) throw BAIL;
  const n = Number(v);
  if (hoursCache.size >= HOURS_CACHE_MAX) hoursCache.clear();
  hoursCache.set(h, n);
  return n;
}

const annualN = (b: CatalogueBlock): number => {
  if (b.valuation.kind !== 'annual' || !Number.isSafeInteger(b.valuation.annualCents)) throw BAIL;
  return b.valuation.annualCents;
};

const intN = (x: number): number => {
  if (!Number.isSafeInteger(x)) throw BAIL;
  return x;
};

interface FastPart {
  readonly catalogue: CatalogueVersionRef;
  readonly blockCode: string;
  readonly category: BlockCategory;
  readonly version: CatalogueVersion;
  readonly block: CatalogueBlock;
  /** the exact value is n / d */
  n: number;
  d: number;
}

function addPart(parts: FastPart[], v: CatalogueVersion, b: CatalogueBlock, n: number, d: number): void {
  for (const p of parts) {
    if (p.blockCode === b.code && p.category === b.category && p.catalogue.catalogueId === v.catalogueId && p.catalogue.version === v.version) {
      if (p.d === d) p.n = safe(p.n + n);
      else {
        const l = safe((p.d / gcdN(p.d, d)) * d);
        p.n = safe(safe(p.n * (l / p.d)) + safe(n * (l / d)));
        p.d = l;
      }
      return;
    }
  }
  parts.push({ catalogue: { catalogueId: v.catalogueId, version: v.version }, blockCode: b.code, category: b.category, version: v, block: b, n, d });
}

const lineOf = (p: FastPart, cents: number): RoundedLine => ({ catalogue: p.catalogue, blockCode: p.blockCode, category: p.category, cents, version: p.version, block: p.block });

/** roundParts on fast parts: one rounding half up, then the largest-remainder split. */
function roundFast(parts: readonly FastPart[]): RoundedValue {
  const m = parts.length;
  if (m === 0) return EMPTY;
  let l = parts[0].d;
  for (let i = 1; i < m; i++) if (parts[i].d !== l) l = safe((l / gcdN(l, parts[i].d)) * parts[i].d);
  let total = 0;
  for (let i = 0; i < m; i++) {
    const p = parts[i];
    total = safe(total + (p.d === l ? p.n : safe(p.n * (l / p.d))));
  }
  const cents = idiv(safe(safe(2 * total) + l), safe(2 * l));
  if (m === 1) return { cents, lines: [lineOf(parts[0], cents)] };
  // allocate(): floors, then the rest one by one by largest remainder (ties to the earlier part)
  const out: number[] = new Array<number>(m);
  const rems: number[] = new Array<number>(m);
  const order: number[] = new Array<number>(m);
  let rest = cents;
  for (let i = 0; i < m; i++) {
    const p = parts[i];
    const n = p.d === l ? p.n : p.n * (l / p.d);
    const f = idiv(n, l);
    out[i] = f;
    rems[i] = n - f * l;
    rest -= f;
    // insertion sort by remainder descending, then index ascending (i is the largest index so far)
    let j = i;
    while (j > 0 && rems[order[j - 1]] < rems[i]) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  for (let k = 0; rest > 0; k = (k + 1) % m) {
    out[order[k]] += 1;
    rest -= 1;
  }
  for (let k = m - 1; rest < 0; k = (k - 1 + m) % m) {
    out[order[k]] -= 1;
    rest += 1;
  }
  const lines: RoundedLine[] = new Array<RoundedLine>(m);
  for (let i = 0; i < m; i++) lines[i] = lineOf(parts[i], out[i]);
  return { cents, lines };
}

function fastPlacement(p: PlacementState, ctx: ValuationContext, upTo: CalendarDate): RoundedValue {
  const firstDate = maxDate(p.startDate, ctx.contractStart);
  const lastDate = minDate(minDate(p.endDate ?? ctx.contractEnd, ctx.contractEnd), upTo);
  if (compareDates(firstDate, lastDate) > 0) return EMPTY;
  const first = toDayNumber(firstDate);
  const last = toDayNumber(lastDate);
  const { periods } = ctx;
  const parts: FastPart[] = [];
  const terms = p.terms;
  for (let k = p.periodIndex; k < periods.length; k++) {
    const from = Math.max(first, toDayNumber(periods[k].effectiveFrom));
    let to = k + 1 < periods.length ? Math.min(last, toDayNumber(periods[k + 1].effectiveFrom) - 1) : last;
    if (from > to) continue;
    const v = periods[k].catalogue;
    const code = codeInPeriod(periods, p.blockCode, p.periodIndex, k);
    const block = code === undefined ? undefined : findBlock(v, code);
    if (!block) throw BAIL;
    const max = maxCountedMonthsOf(v, block);
    if (max !== null) to = Math.min(to, toDayNumber(endOfMonthsPeriod(firstDate, max)));
    if (from > to) continue;
    const bonuses: CatalogueBlock[] = [];
    for (const c of p.bonusCodes) {
      const bc = codeInPeriod(periods, c, p.periodIndex, k);
      const b = bc === undefined ? undefined : findBlock(v, bc);
      if (!b) throw BAIL;
      bonuses.push(b);
    }
    const permanentBonus = permanentBonusOf(v);
    const fte100 = safe(intN(v.parameters.fteHours) * 100);
    if (fte100 <= 0) throw BAIL;
    // Σ h100 × days over the segments, and over the permanent ones; each term is ≤ fte100 × days
    if (safe(fte100 * (to - from + 1)) > MAX_SAFE) throw BAIL;
    let s = 0;
    let sPermanent = 0;
    let any = false;
    let anyPermanent = false;
    for (let i = 0; i < terms.length; i++) {
      const t = terms[i];
      const segFrom = Math.max(from, toDayNumber(t.effectiveDate));
      const segTo = i + 1 < terms.length ? Math.min(to, toDayNumber(terms[i + 1].effectiveDate) - 1) : to;
      if (segFrom > segTo) continue;
      let h100 = fte100;
      if (!block.valuedWithoutHours) {
        const h = hundredthsN(t.hoursPerWeek);
        if (h < fte100) h100 = h;
      }
      const x = h100 * (segTo - segFrom + 1);
      s += x;
      any = true;
      if (t.permanent && permanentBonus) {
        sPermanent += x;
        anyPermanent = true;
      }
    }
    if (!any) continue;
    // one denominator for the period: fte100 × 365 over the gcd with every annual amount used
    const denominator = safe(fte100 * 365);
    const annual = annualN(block);
    let g = gcdN(denominator, annual);
    for (const b of bonuses) g = gcdN(g, annualN(b));
    if (anyPermanent && permanentBonus) g = gcdN(g, annualN(permanentBonus));
    if (g === 0) g = 1;
    const d = denominator / g;
    addPart(parts, v, block, safe((annual / g) * s), d);
    for (const b of bonuses) addPart(parts, v, b, safe((annualN(b) / g) * s), d);
    if (anyPermanent && permanentBonus) addPart(parts, v, permanentBonus, safe((annualN(permanentBonus) / g) * sPermanent), d);
  }
  return roundFast(parts);
}

function fastOneOff(c: OneOffState, ctx: ValuationContext, upTo: CalendarDate, countsToday: boolean): RoundedValue {
  if (compareDates(c.date, ctx.contractStart) < 0 || compareDates(c.date, ctx.contractEnd) > 0 || compareDates(c.date, upTo) > 0) return EMPTY;
  const kk = Math.max(periodIndexOn(ctx.periods, c.date), c.periodIndex);
  const v = ctx.periods[kk].catalogue;
  const code = codeInPeriod(ctx.periods, c.blockCode, c.periodIndex, kk);
  const block = code === undefined ? undefined : findBlock(v, code);
  if (!block) throw BAIL;
  const val = block.valuation;
  let n: number;
  let d = 1;
  switch (c.input) {
    case 'invoice':
      if (val.kind !== 'invoice' && val.kind !== 'invoice-or-hourly') throw BAIL;
      n = safe(intN(c.amountExclVatCents ?? c.costCents ?? 0) * intN(val.factorBasisPoints));
      d = 10000;
      break;
    case 'hours': {
      if (val.kind !== 'hourly' && val.kind !== 'invoice-or-hourly') throw BAIL;
      const rate = intN(val.rateCents ?? v.parameters.hourlyRateCents);
      n = safe(hundredthsN(c.hours ?? 0) * rate);
      d = 100;
      break;
    }
    case 'agreement':
      if (val.kind !== 'agreement') throw BAIL;
      n = intN(c.agreedValueCents ?? 0);
      break;
    case 'per-activity':
      if (val.kind !== 'per-activity') throw BAIL;
      n = countsToday ? intN(val.amountCents) : 0;
      break;
    default:
      throw BAIL;
  }
  return roundFast([{ catalogue: { catalogueId: v.catalogueId, version: v.version }, blockCode: block.code, category: block.category, version: v, block, n, d }]);
}

/** The fast path, or null when it cannot give the reference's result with safe integers. */
export function fastValue(c: ContributionState, ctx: ValuationContext, upTo: CalendarDate, counted: ReadonlySet<string>): RoundedValue | null {
  try {
    return c.kind === 'placement' ? fastPlacement(c, ctx, upTo) : fastOneOff(c, ctx, upTo, c.input !== 'per-activity' || counted.has(c.id));
  } catch {
    // BAIL, or anything the reference may throw (an invalid date): let the reference decide
    return null;
  }
}

/** The value of a contribution up to and including `upTo`, rounded once: `roundParts(contributionParts(…))`, fast. */
export function contributionValue(c: ContributionState, ctx: ValuationContext, upTo: CalendarDate, counted: Set<string>): RoundedValue {
  return fastValue(c, ctx, upTo, counted) ?? roundParts(contributionParts(c, ctx, upTo, counted));
}
