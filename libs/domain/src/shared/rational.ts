/** Exact non-negative-or-negative rationals on BigInt, for valuation without intermediate rounding. */
export interface Rational {
  readonly n: bigint;
  readonly d: bigint; // always > 0
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function rat(n: bigint | number, d: bigint | number = 1n): Rational {
  let nn = BigInt(n);
  let dd = BigInt(d);
  if (dd === 0n) throw new RangeError('division by zero');
  if (dd < 0n) {
    nn = -nn;
    dd = -dd;
  }
  const g = gcd(nn, dd) || 1n;
  return { n: nn / g, d: dd / g };
}

export const ZERO: Rational = { n: 0n, d: 1n };

export const add = (a: Rational, b: Rational): Rational => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational): Rational => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => rat(a.n * b.n, a.d * b.d);
export const sum = (xs: readonly Rational[]): Rational => xs.reduce(add, ZERO);
export const cmp = (a: Rational, b: Rational): number => {
  const x = a.n * b.d - b.n * a.d;
  return x < 0n ? -1 : x > 0n ? 1 : 0;
};

/** floor(n/d) for any sign. */
export function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return (n % d !== 0n && (n < 0n) !== (d < 0n)) ? q - 1n : q;
}

/** Round half up (towards +infinity at exactly .5) to an integer. */
export function roundHalfUp(r: Rational): bigint {
  return floorDiv(2n * r.n + r.d, 2n * r.d);
}

/** Rounds to whole cents and checks the result is a safe JavaScript integer. */
export function toCents(r: Rational): number {
  return safeNumber(roundHalfUp(r));
}

export function safeNumber(x: bigint): number {
  if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`amount ${x} exceeds the safe integer range`);
  }
  return Number(x);
}

export const toDecimalString = (r: Rational, digits = 6): string => {
  const scale = 10n ** BigInt(digits);
  const scaled = roundHalfUp(rat(r.n * scale, r.d));
  const sign = scaled < 0n ? '-' : '';
  const a = abs(scaled);
  const s = a.toString().padStart(digits + 1, '0');
  return `${sign}${s.slice(0, -digits)}.${s.slice(-digits)}`;
};

/**
 * Allocates an integer `total` over exact parts by the largest-remainder method, so that the
 * allocated integers sum to `total` exactly (ties go to the earlier part). Used to split one
 * contribution's once-rounded value over its blocks and categories.
 */
export function allocate(total: bigint, parts: readonly Rational[]): bigint[] {
  const floors = parts.map((p) => floorDiv(p.n, p.d));
  let rest = total - floors.reduce((a, b) => a + b, 0n);
  const order = parts
    .map((p, i) => ({ i, frac: sub(p, rat(floors[i])) }))
    .sort((a, b) => cmp(b.frac, a.frac) || a.i - b.i);
  const out = [...floors];
  for (let k = 0; rest > 0n && order.length > 0; k = (k + 1) % order.length) {
    out[order[k].i] += 1n;
    rest -= 1n;
  }
  for (let k = order.length - 1; rest < 0n && order.length > 0; k = (k - 1 + order.length) % order.length) {
    out[order[k].i] -= 1n;
    rest += 1n;
  }
  return out;
}

/**
 * Parses a decimal string or number with at most `decimals` decimals into an integer scaled by
 * 10^decimals ('2.5' → 250 with 2 decimals). Returns undefined when not representable exactly.
 */
export function parseScaledDecimal(value: number | string, decimals: number): bigint | undefined {
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return undefined;
  const frac = m[2] ?? '';
  if (frac.length > decimals) return undefined;
  return BigInt(m[1]) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}
