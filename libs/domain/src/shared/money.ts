/** Money (integer euro cents), percentages (basis points: hundredths of a percent) and hours. */
import { refuse } from './errors';
import { parseScaledDecimal, rat, toCents } from './rational';

export type Cents = number;

/**
 * The largest amount one input may name: EUR 100 billion. Figures add many amounts with plain
 * numbers; with each at most this, a contract's totals stay exact (below 2^53 cents) unless it
 * holds some 900 such amounts. RULES.md: a total always equals the sum of its lines.
 */
export const MAX_AMOUNT_CENTS = 10_000_000_000_000;

export function assertCents(value: unknown, field: string, opts: { allowZero?: boolean } = {}): Cents {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || (!opts.allowZero && value === 0)) {
    refuse('invalid-amount', `${field} must be a ${opts.allowZero ? 'non-negative' : 'positive'} whole number of euro cents, got ${JSON.stringify(value)}`, { field });
  }
  if (value > MAX_AMOUNT_CENTS) refuse('invalid-amount', `${field} is above the largest amount taken, ${MAX_AMOUNT_CENTS} cents (EUR 100 billion)`, { field, max: MAX_AMOUNT_CENTS });
  return value;
}

/**
 * A social-return percentage (decimal percent, at most two decimals, above 0 and at most 100) as
 * integer basis points: 5 → 500, 2.5 → 250, 7.25 → 725.
 */
export function percentageToBasisPoints(p: number | string): number {
  const bp = typeof p === 'number' || typeof p === 'string' ? parseScaledDecimal(p, 2) : undefined;
  if (bp === undefined || bp <= 0n || bp > 10000n) {
    refuse('invalid-percentage', `the social-return percentage must be a decimal percent above 0 and at most 100 with at most two decimals, got ${JSON.stringify(p)}`);
  }
  return Number(bp);
}

export const basisPointsToPercentage = (bp: number): string => {
  const whole = Math.floor(bp / 100);
  const frac = bp % 100;
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(2, '0').replace(/0$/, '')}`;
};

/** Obligation = contract value × percentage, rounded half up to cents. */
export function obligationCents(contractValueCents: Cents, basisPoints: number): Cents {
  return toCents(rat(BigInt(contractValueCents) * BigInt(basisPoints), 10000n));
}

/** Hours (per week or worked) with at most two decimals, as integer hundredths of an hour. */
/** The most hours one input may name (a week's hours are at most 168 besides): valued at any catalogue's rate, they stay exact. */
export const MAX_HOURS = 100_000;

export function hoursToHundredths(h: unknown, field: string): bigint {
  const v = typeof h === 'number' || typeof h === 'string' ? parseScaledDecimal(h, 2) : undefined;
  if (v === undefined || v <= 0n) refuse('invalid-hours', `${field} must be a positive number of hours with at most two decimals, got ${JSON.stringify(h)}`, { field });
  if (v > BigInt(MAX_HOURS) * 100n) refuse('invalid-hours', `${field} must be at most ${MAX_HOURS} hours, got ${JSON.stringify(h)}`, { field, max: MAX_HOURS });
  return v;
}
