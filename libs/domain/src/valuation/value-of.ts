/** `valueOf`: the value of one contribution under one catalogue version, in a window. */
import { assertDate, compareDates, type CalendarDate } from '../shared/dates';
import { refuse } from '../shared/errors';
import { getBlock } from '../catalogues/catalogue';
import type { CatalogueVersion } from '../catalogues/types';
import type { OneOffState, PlacementState } from '../contract/state';
import { oneOffParts, placementParts, roundParts, type ContributionValue, type ValuationContext } from './engine';
import { toDecimalString } from '../shared/rational';

export type ContributionInput =
  | {
      readonly kind: 'placement';
      readonly blockCode: string;
      readonly bonusCodes?: readonly string[];
      readonly startDate: CalendarDate;
      readonly endDate?: CalendarDate | null;
      readonly hoursPerWeek: number;
      readonly permanent: boolean;
      /** later changes of hours or permanence, each with the full terms from its effective date */
      readonly changes?: readonly { readonly effectiveDate: CalendarDate; readonly hoursPerWeek: number; readonly permanent: boolean }[];
    }
  | { readonly kind: 'purchase'; readonly blockCode: string; readonly date: CalendarDate; readonly amountExclVatCents: number }
  | { readonly kind: 'knowledge-sharing'; readonly blockCode: string; readonly date: CalendarDate; readonly hours?: number; readonly costCents?: number }
  | {
      readonly kind: 'activity';
      readonly blockCode: string;
      readonly date: CalendarDate;
      readonly costCents?: number;
      /** for by-agreement blocks: the agreed value, if recorded */
      readonly agreedValueCents?: number | null;
    };

/** The contract period and the date up to which (inclusive) days and items are counted. */
export interface ValuationWindow {
  readonly contractStart: CalendarDate;
  readonly contractEnd: CalendarDate;
  readonly asOf: CalendarDate;
}

export interface Valuation extends ContributionValue {
  /** the exact value as a decimal string of cents, for explanation ("1322374.429...") */
  readonly exactCents: string;
  /** true for a by-agreement contribution without an agreed value */
  readonly awaitingAgreement: boolean;
}

/**
 * The value of one contribution under one catalogue version, counting days and items inside the
 * contract period and up to `window.asOf`, per RULES.md. Rounded once, half up, to cents.
 */
export function valueOf(contribution: ContributionInput, version: CatalogueVersion, window: ValuationWindow): Valuation {
  assertDate(window.contractStart, 'contractStart');
  assertDate(window.contractEnd, 'contractEnd');
  assertDate(window.asOf, 'asOf');
  const ctx: ValuationContext = {
    periods: [{ effectiveFrom: window.contractStart, catalogue: version, mappingFromPrevious: {} }],
    contractStart: window.contractStart,
    contractEnd: window.contractEnd,
  };
  const ref = { catalogueId: version.catalogueId, version: version.version };
  const base = { id: 'valueOf', seq: 0, periodIndex: 0, catalogue: ref, blockCode: contribution.blockCode, withdrawn: false, verdict: null };
  const block = getBlock(version, contribution.blockCode);
  if (contribution.kind === 'placement') {
    const bonusCodes = contribution.bonusCodes ?? [];
    bonusCodes.forEach((c) => getBlock(version, c));
    const p: PlacementState = {
      ...base,
      kind: 'placement',
      candidateRef: '-',
      bonusCodes,
      startDate: assertDate(contribution.startDate, 'startDate'),
      endDate: contribution.endDate ?? null,
      ended: false,
      terms: [
        { effectiveDate: contribution.startDate, hoursPerWeek: contribution.hoursPerWeek, permanent: contribution.permanent, seq: 0 },
        ...(contribution.changes ?? []).map((c, i) => ({ ...c, seq: i + 1 })),
      ].sort((a, b) => compareDates(a.effectiveDate, b.effectiveDate) || a.seq - b.seq),
    };
    const v = roundParts(placementParts(p, ctx, window.asOf));
    return { ...v, exactCents: toDecimalString(v.exact), awaitingAgreement: false };
  }
  let input: OneOffState['input'];
  if (contribution.kind === 'purchase') input = 'invoice';
  else if (contribution.kind === 'knowledge-sharing') input = contribution.hours !== undefined ? 'hours' : 'invoice';
  else input = block.valuation.kind === 'agreement' ? 'agreement' : block.valuation.kind === 'per-activity' ? 'per-activity' : 'invoice';
  const c: OneOffState = {
    ...base,
    kind: contribution.kind,
    date: assertDate(contribution.date, 'date'),
    input,
    description: '',
    amountExclVatCents: contribution.kind === 'purchase' ? contribution.amountExclVatCents : null,
    hours: contribution.kind === 'knowledge-sharing' ? (contribution.hours ?? null) : null,
    costCents: contribution.kind === 'purchase' ? null : (contribution.costCents ?? null),
    agreedValueCents: contribution.kind === 'activity' ? (contribution.agreedValueCents ?? null) : null,
  };
  let v: ContributionValue;
  try {
    v = roundParts(oneOffParts(c, ctx, window.asOf));
  } catch (e) {
    refuse('block-wrong-category', `block ${block.code} cannot value this contribution: ${(e as Error).message}`, { blockCode: block.code });
  }
  return { ...v, exactCents: toDecimalString(v.exact), awaitingAgreement: input === 'agreement' && c.agreedValueCents === null };
}
