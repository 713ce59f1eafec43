/** Pure functions on catalogue versions: validation, look-up, default migration mapping and diff. */
import { MAX_AMOUNT_CENTS } from '../shared/money';
import { compareDates, isValidDate, type CalendarDate } from '../shared/dates';
import { refuse } from '../shared/errors';
import {
  BLOCK_CATEGORIES,
  type BlockValuation,
  type CatalogueBlock,
  type CatalogueParameters,
  type CatalogueVersion,
  type CatalogueVersionRef,
} from './types';

export const refOf = (v: CatalogueVersionRef): CatalogueVersionRef => ({ catalogueId: v.catalogueId, version: v.version });
export const sameRef = (a: CatalogueVersionRef, b: CatalogueVersionRef): boolean =>
  a.catalogueId === b.catalogueId && a.version === b.version;
export const refLabel = (r: CatalogueVersionRef): string => `${r.catalogueId}/${r.version}`;

export function findBlock(version: CatalogueVersion, code: string): CatalogueBlock | undefined {
  return version.blocks.find((b) => b.code === code);
}

export function getBlock(version: CatalogueVersion, code: string): CatalogueBlock {
  const b = findBlock(version, code);
  if (!b) refuse('unknown-block', `block ${code} does not exist in catalogue ${refLabel(version)}`, { blockCode: code, catalogue: refOf(version) });
  return b;
}

export function permanentBonusOf(version: CatalogueVersion): CatalogueBlock | undefined {
  return version.blocks.find((b) => b.category === 'bonus' && b.permanentBonus);
}

/** The maximum counted months of a placement on `block` under `version`; null = unlimited. */
export function maxCountedMonthsOf(version: CatalogueVersion, block: CatalogueBlock): number | null {
  return block.maxCountedMonths !== undefined ? block.maxCountedMonths : version.parameters.maxCountedMonths;
}

/** The version of `catalogueId` in force on `date` (latest validFrom on or before it). */
export function versionInForce(versions: readonly CatalogueVersion[], catalogueId: string, date: CalendarDate): CatalogueVersion | undefined {
  // `versions` in publication order: of two valid from the same date, the later one (a correction
  // that replaces the other from its first day) is in force.
  let best: CatalogueVersion | undefined;
  for (const v of versions) {
    if (v.catalogueId !== catalogueId || compareDates(v.validFrom, date) > 0) continue;
    if (!best || compareDates(v.validFrom, best.validFrom) >= 0) best = v;
  }
  return best;
}

export function findVersion(versions: readonly CatalogueVersion[], ref: CatalogueVersionRef): CatalogueVersion | undefined {
  return versions.find((v) => sameRef(v, ref));
}

/**
 * The default mapping for migrating from `from` to `to`: the blocks of `to` that declare which
 * blocks of `from` they replace (only when `to` replaces `from` in the same catalogue).
 */
export function defaultMapping(from: CatalogueVersionRef, to: CatalogueVersion): Record<string, string> {
  const out: Record<string, string> = {};
  if (to.catalogueId !== from.catalogueId || to.replacesVersion !== from.version) return out;
  for (const b of to.blocks) for (const old of b.replaces ?? []) out[old] = b.code;
  return out;
}

const isNonNegInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isPosInt = (x: unknown): x is number => isNonNegInt(x) && x > 0;

/**
 * Bounds of a catalogue's values, so that every valuation under it stays exact (below 2^53 cents)
 * for any input the ledger takes: a block's yearly, hourly or per-activity value at most EUR 10
 * million, an invoice factor at most 10 times the amount. A version beyond them is refused when
 * published, not found out when a contribution cannot be valued.
 */
export const MAX_CATALOGUE_VALUE_CENTS = 1_000_000_000;
export const MAX_FACTOR_BASIS_POINTS = 100_000;
const isValue = (x: unknown): x is number => isNonNegInt(x) && x <= MAX_CATALOGUE_VALUE_CENTS;
const VALUE_RULE = `whole cents, at most ${MAX_CATALOGUE_VALUE_CENTS} (EUR 10 million)`;

function validateValuation(v: BlockValuation, where: string): void {
  switch (v.kind) {
    case 'annual':
      if (!isValue(v.annualCents)) refuse('invalid-catalogue', `${where}: annualCents must be ${VALUE_RULE}`);
      return;
    case 'hourly':
      if (v.rateCents !== undefined && !isValue(v.rateCents)) refuse('invalid-catalogue', `${where}: rateCents must be ${VALUE_RULE}`);
      return;
    case 'invoice':
    case 'invoice-or-hourly':
      if (!isNonNegInt(v.factorBasisPoints) || v.factorBasisPoints > MAX_FACTOR_BASIS_POINTS) refuse('invalid-catalogue', `${where}: factorBasisPoints must be a whole number of at most ${MAX_FACTOR_BASIS_POINTS}`);
      if (v.kind === 'invoice-or-hourly' && v.rateCents !== undefined && !isValue(v.rateCents)) refuse('invalid-catalogue', `${where}: rateCents must be ${VALUE_RULE}`);
      return;
    case 'per-activity':
      if (!isValue(v.amountCents) || !isPosInt(v.maxPerDay) || v.maxPerDay > 1000) refuse('invalid-catalogue', `${where}: amountCents must be ${VALUE_RULE}, maxPerDay a whole number from 1 to 1000`);
      return;
    case 'agreement':
      return;
    default:
      refuse('invalid-catalogue', `${where}: unknown valuation kind ${JSON.stringify((v as { kind?: unknown }).kind)}`);
  }
}

function validateParameters(p: CatalogueParameters, where: string): void {
  if (!p || typeof p !== 'object') refuse('invalid-catalogue', `${where}: parameters are required`);
  if (!isPosInt(p.fteHours) || p.fteHours > 168) refuse('invalid-catalogue', `${where}: fteHours must be a whole number from 1 to 168`);
  if (!isValue(p.hourlyRateCents)) refuse('invalid-catalogue', `${where}: hourlyRateCents must be ${VALUE_RULE}`);
  if (!isNonNegInt(p.preStartHireWindowMonths) || p.preStartHireWindowMonths > 120) refuse('invalid-catalogue', `${where}: preStartHireWindowMonths must be a whole number from 0 to 120`);
  if (p.maxCountedMonths !== null && !(isPosInt(p.maxCountedMonths) && p.maxCountedMonths <= 1200)) refuse('invalid-catalogue', `${where}: maxCountedMonths must be a whole number from 1 to 1200, or null`);
  if (p.minHoursPerWeek !== null && !(typeof p.minHoursPerWeek === 'number' && p.minHoursPerWeek > 0 && p.minHoursPerWeek <= p.fteHours && Number.isInteger(Math.round(p.minHoursPerWeek * 100)) && Math.abs(p.minHoursPerWeek * 100 - Math.round(p.minHoursPerWeek * 100)) < 1e-9)) {
    refuse('invalid-catalogue', `${where}: minHoursPerWeek must be positive with at most two decimals and at most fteHours (${p.fteHours}), or null`);
  }
  if (p.thresholdCents !== null && !(isNonNegInt(p.thresholdCents) && p.thresholdCents <= MAX_AMOUNT_CENTS)) refuse('invalid-catalogue', `${where}: thresholdCents must be whole cents of at most ${MAX_AMOUNT_CENTS}, or null`);
}

/** Checks the structure of a catalogue version; throws `invalid-catalogue` with the reason. */
export function validateCatalogueVersion(v: CatalogueVersion): CatalogueVersion {
  const where = `catalogue ${v?.catalogueId}/${v?.version}`;
  if (!v || typeof v.catalogueId !== 'string' || !/^[a-z0-9][a-z0-9-]{0,49}$/.test(v.catalogueId)) refuse('invalid-catalogue', `${where}: catalogueId must be a lowercase kebab-case id of at most 50 characters`);
  // A version is a path segment of the API too.
  if (typeof v.version !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/.test(v.version)) refuse('invalid-catalogue', `${where}: version must be letters, digits, '.', '_' or '-' (at most 50, starting with a letter or digit)`);
  if (!isValidDate(v.validFrom)) refuse('invalid-catalogue', `${where}: validFrom must be a date YYYY-MM-DD`);
  if (typeof v.source !== 'string' || v.source.length === 0) refuse('invalid-catalogue', `${where}: source is required`);
  validateParameters(v.parameters, where);
  if (!Array.isArray(v.blocks) || v.blocks.length === 0) refuse('invalid-catalogue', `${where}: a catalogue version has at least one block`);
  const codes = new Set<string>();
  for (const b of v.blocks) {
    const bw = `${where} block ${b.code}`;
    if (typeof b.code !== 'string' || !/^[A-Z0-9][A-Z0-9-]*$/.test(b.code)) refuse('invalid-catalogue', `${bw}: code must be upper-case letters, digits and dashes`);
    if (codes.has(b.code)) refuse('invalid-catalogue', `${bw}: duplicate block code`);
    codes.add(b.code);
    if (!b.nameNl || !b.nameEn) refuse('invalid-catalogue', `${bw}: Dutch and English names are required`);
    if (!BLOCK_CATEGORIES.includes(b.category)) refuse('invalid-catalogue', `${bw}: unknown category ${b.category}`);
    validateValuation(b.valuation, bw);
    if ((b.category === 'employment' || b.permanentBonus) && b.valuation.kind !== 'annual') refuse('invalid-catalogue', `${bw}: employment blocks and the permanent bonus are valued per year`);
    if (b.permanentBonus && b.category !== 'bonus') refuse('invalid-catalogue', `${bw}: the permanent bonus must be a bonus block`);
    if (b.maxCountedMonths !== undefined && b.maxCountedMonths !== null && !isPosInt(b.maxCountedMonths)) refuse('invalid-catalogue', `${bw}: maxCountedMonths must be a positive whole number or null`);
  }
  if (v.blocks.filter((b) => b.permanentBonus).length > 1) refuse('invalid-catalogue', `${where}: at most one permanent-contract bonus`);
  for (const b of v.blocks) {
    const applies = b.appliesTo ?? [];
    if (applies.length > 0 && b.category !== 'bonus') refuse('invalid-catalogue', `${where} block ${b.code}: only a bonus block says which blocks it applies to`);
    if (new Set(applies).size !== applies.length) refuse('invalid-catalogue', `${where} block ${b.code}: appliesTo names a block twice`);
    for (const t of applies) {
      if (!codes.has(t)) refuse('invalid-catalogue', `${where} block ${b.code}: appliesTo names unknown block ${t}`);
      if (v.blocks.find((x) => x.code === t)?.category !== 'employment') refuse('invalid-catalogue', `${where} block ${b.code}: appliesTo names ${t}, which is not an employment block`);
    }
  }
  if (!Array.isArray(v.exclusiveBonusGroups)) refuse('invalid-catalogue', `${where}: exclusiveBonusGroups must be a list of lists of bonus codes`);
  for (const g of v.exclusiveBonusGroups) {
    if (!Array.isArray(g) || g.length < 2 || !g.every((c) => typeof c === 'string')) refuse('invalid-catalogue', `${where}: each exclusive bonus group is a list of at least two bonus codes`);
    for (const c of g) {
      if (v.blocks.find((b) => b.code === c)?.category !== 'bonus') refuse('invalid-catalogue', `${where}: exclusive group member ${c} is not a bonus block`);
    }
  }
  return v;
}

export interface BlockChange {
  readonly code: string;
  readonly before: CatalogueBlock;
  readonly after: CatalogueBlock;
}

export interface CatalogueDiff {
  readonly from: CatalogueVersionRef;
  readonly to: CatalogueVersionRef;
  readonly added: readonly CatalogueBlock[];
  readonly removed: readonly CatalogueBlock[];
  /** same code, different valuation */
  readonly revalued: readonly BlockChange[];
  /** same code and valuation, other names, category or rules */
  readonly changed: readonly BlockChange[];
  /** blocks of `to` declaring which blocks of `from` they replace */
  readonly replaced: readonly { readonly code: string; readonly replaces: readonly string[] }[];
  readonly parameters: readonly { readonly name: keyof CatalogueParameters; readonly before: unknown; readonly after: unknown }[];
}

const stable = (x: unknown): string => JSON.stringify(x, (_k, val) => (val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : 1))) : val));

/** Differences between two catalogue versions: blocks added, removed, revalued, replaced. */
export function diffCatalogueVersions(from: CatalogueVersion, to: CatalogueVersion): CatalogueDiff {
  const added = to.blocks.filter((b) => !findBlock(from, b.code));
  const removed = from.blocks.filter((b) => !findBlock(to, b.code));
  const revalued: BlockChange[] = [];
  const changed: BlockChange[] = [];
  for (const after of to.blocks) {
    const before = findBlock(from, after.code);
    if (!before) continue;
    if (stable(before.valuation) !== stable(after.valuation)) revalued.push({ code: after.code, before, after });
    else {
      const strip = ({ replaces: _r, note: _n, ...rest }: CatalogueBlock) => rest;
      if (stable(strip(before)) !== stable(strip(after))) changed.push({ code: after.code, before, after });
    }
  }
  const replaced = to.blocks.filter((b) => (b.replaces ?? []).length > 0).map((b) => ({ code: b.code, replaces: [...(b.replaces ?? [])] }));
  const parameters = (Object.keys({ ...from.parameters, ...to.parameters }) as (keyof CatalogueParameters)[])
    .filter((k) => from.parameters[k] !== to.parameters[k])
    .map((name) => ({ name, before: from.parameters[name], after: to.parameters[name] }));
  return { from: refOf(from), to: refOf(to), added, removed, revalued, changed, replaced, parameters };
}
