/**
 * The fast status computation (integer valuation, in-place fold, instant keys read once) must give
 * exactly what the reference gives: the implementation as it was, in `testing/reference.ts`.
 */
import fc from 'fast-check';
import { addDays } from '../shared/dates';
import { DomainError } from '../shared/errors';
import { instantKey } from '../shared/instants';
import { MAX_AMOUNT_CENTS } from '../shared/money';
import { haaglanden2023, hollandRijnland2023, utrecht2015, utrecht2019 } from '../catalogues/shipped';
import type { CatalogueVersion } from '../catalogues/types';
import type { ContractCommand } from '../contract/commands';
import type { ContractEvent, RecordedEvent } from '../contract/events';
import { decide } from '../contract/decide';
import { evolve, fold } from '../contract/evolve';
import { isRegistered, type RegisteredContract } from '../contract/state';
import { contributionParts, contributionValue, countedActivities, roundParts, type ValuationContext } from '../valuation/engine';
import { recorded, registered } from '../testing/gwt';
import { referenceFiguresOf, referenceFold, referenceStatusOf } from '../testing/reference';
import { figuresOf } from './figures';
import { statusOf } from './status';

const BASE = '2023-01-01';
const day = (min: number, max: number) => fc.integer({ min, max }).map((n) => addDays(BASE, n));
const pid = fc.constantFrom('p-0', 'p-1', 'p-2', 'p-3');
const oid = fc.constantFrom('k-0', 'k-1', 'a-0', 'a-1', '7');
const anyId = fc.oneof(pid, oid);
const hours = fc.oneof(fc.integer({ min: 1, max: 45 }), fc.integer({ min: 1, max: 4500 }).map((n) => n / 100));

/** Utrecht 2019 with other parameters and amounts: 40 FTE hours and very large annual values. */
const odd2019: CatalogueVersion = {
  ...utrecht2019,
  version: '2019-odd',
  parameters: { ...utrecht2019.parameters, fteHours: 40, maxCountedMonths: 7 },
  blocks: utrecht2019.blocks.map((b) => (b.valuation.kind === 'annual' && b.code !== 'NUG' ? { ...b, valuation: { kind: 'annual' as const, annualCents: b.valuation.annualCents * 97_003_001 } } : b)),
};

interface Setup {
  readonly catalogue: CatalogueVersion;
  readonly migrateTo?: CatalogueVersion;
  readonly mapping?: Record<string, string>;
  readonly hireCodes: readonly string[];
  readonly bonusCodes: readonly string[];
  readonly purchaseCodes: readonly string[];
  readonly hourCodes: readonly string[];
  readonly activityCodes: readonly string[];
}

const setups: Record<string, Setup> = {
  'utrecht 2015 → 2019': { catalogue: utrecht2015, migrateTo: utrecht2019, mapping: { SOCIAL: 'KNOWLEDGE' }, hireCodes: ['PW-LT2', 'WW-LT1', 'BA', 'NUG', 'PW'], bonusCodes: ['B-50PLUS', 'B-STATUS'], purchaseCodes: ['WSW', 'SOCIAL', 'SOCIAL-PURCHASE'], hourCodes: ['SOCIAL', 'KNOWLEDGE'], activityCodes: ['MOBILITY'] },
  'utrecht 2015 → odd (other FTE hours, huge amounts)': { catalogue: utrecht2015, migrateTo: odd2019, mapping: { SOCIAL: 'KNOWLEDGE' }, hireCodes: ['PW-LT2', 'WW-LT1', 'BA', 'NUG', 'PW'], bonusCodes: ['B-50PLUS', 'B-STATUS'], purchaseCodes: ['WSW', 'SOCIAL-PURCHASE'], hourCodes: ['SOCIAL', 'KNOWLEDGE'], activityCodes: ['MOBILITY'] },
  'haaglanden 2023 (maximum counted months)': { catalogue: haaglanden2023, hireCodes: ['PW', 'WIA', 'NUG', 'BA', 'WW', 'BBL-2'], bonusCodes: ['B-55PLUS', 'B-DISABILITY'], purchaseCodes: haaglanden2023.blocks.filter((b) => b.category === 'purchase').map((b) => b.code), hourCodes: haaglanden2023.blocks.filter((b) => b.category === 'hourly').map((b) => b.code), activityCodes: haaglanden2023.blocks.filter((b) => b.category === 'agreement').map((b) => b.code) },
  'holland rijnland 2023 (per activity, without hours)': { catalogue: hollandRijnland2023, hireCodes: ['BOL-STAGE', 'PW', 'WW', 'WSW'], bonusCodes: ['B-55PLUS'], purchaseCodes: ['SW-INVOICE'], hourCodes: hollandRijnland2023.blocks.filter((b) => b.category === 'hourly').map((b) => b.code), activityCodes: ['ACTIVITY'] },
};

const codes = (xs: readonly string[]) => (xs.length > 0 ? fc.constantFrom(...xs) : fc.constant('NONE'));

function commandOf(s: Setup): fc.Arbitrary<ContractCommand> {
  const list: fc.WeightedArbitrary<ContractCommand>[] = [
    { weight: 6, arbitrary: fc.record({ placementId: pid, candidateRef: fc.constantFrom('cand-a', 'cand-b'), blockCode: codes(s.hireCodes), bonusCodes: fc.subarray([...s.bonusCodes]), startDate: day(-380, 600), endDate: fc.option(day(100, 900), { nil: null }), hoursPerWeek: hours, permanent: fc.boolean() }).map((data) => ({ type: 'RecordHire', data }) as ContractCommand) },
    { weight: 4, arbitrary: fc.record({ placementId: pid, effectiveDate: day(-100, 700), hoursPerWeek: fc.option(hours, { nil: undefined }), permanent: fc.option(fc.boolean(), { nil: undefined }) }).map((data) => ({ type: 'ChangePlacement', data }) as ContractCommand) },
    { weight: 2, arbitrary: fc.record({ placementId: pid, endDate: day(0, 900), reason: fc.constant('einde') }).map((data) => ({ type: 'EndPlacement', data }) as ContractCommand) },
    { weight: 2, arbitrary: fc.record({ contributionId: oid, supplier: fc.constant({ name: 'SW-bedrijf' }), invoiceReference: fc.constant('F-1'), amountExclVatCents: fc.oneof(fc.integer({ min: 1, max: 5_000_000 }), fc.integer({ min: 1, max: MAX_AMOUNT_CENTS })), date: day(-10, 740), blockCode: codes(s.purchaseCodes) }).map((data) => ({ type: 'RecordPurchase', data }) as ContractCommand) },
    { weight: 1, arbitrary: fc.record({ contributionId: oid, description: fc.constant('gastles'), date: day(0, 730), blockCode: codes(s.hourCodes), hours }).map((data) => ({ type: 'RecordKnowledgeSharing', data }) as ContractCommand) },
    { weight: 2, arbitrary: fc.record({ contributionId: oid, description: fc.constant('activiteit'), date: day(0, 40), blockCode: codes(s.activityCodes) }).map((data) => ({ type: 'RecordActivity', data }) as ContractCommand) },
    { weight: 1, arbitrary: fc.record({ contributionId: oid, valueCents: fc.integer({ min: 0, max: 1_000_000 }), note: fc.constant('akkoord') }).map((data) => ({ type: 'RecordAgreedValue', data }) as ContractCommand) },
    { weight: 2, arbitrary: fc.record({ contributionId: anyId, verdict: fc.constantFrom('verified' as const, 'rejected' as const), note: fc.constant('gezien') }).map((data) => ({ type: 'RecordVerification', data }) as ContractCommand) },
    { weight: 1, arbitrary: fc.record({ contributionId: anyId, reason: fc.constant('correctie') }).map((data) => ({ type: 'WithdrawContribution', data }) as ContractCommand) },
    { weight: 1, arbitrary: fc.record({ v: fc.integer({ min: 1, max: 500_000_000 }), effectiveDate: day(0, 730) }).map(({ v, effectiveDate }) => ({ type: 'ChangeContractValue', data: { contractValueCents: v, effectiveDate, reason: 'wijziging' } }) as ContractCommand) },
    { weight: 1, arbitrary: day(200, 900).map((endDate) => ({ type: 'ChangeContractPeriod', data: { endDate, reason: 'wijziging' } }) as ContractCommand) },
  ];
  if (s.migrateTo) {
    const to = s.migrateTo;
    list.push({ weight: 1, arbitrary: day(100, 600).map((effectiveDate) => ({ type: 'MigrateCatalogue', data: { catalogue: to, effectiveDate, blockMapping: s.mapping, explicitVersion: true, reason: 'migratie' } }) as ContractCommand) });
  }
  return fc.oneof(...list);
}

function historyOf(s: Setup, commands: readonly ContractCommand[]): RecordedEvent[] {
  const events: ContractEvent[] = [registered({ startDate: BASE, endDate: '2024-12-31', catalogue: s.catalogue, explicitVersion: true }, s.catalogue)];
  let state = fold(events);
  for (const c of commands) {
    try {
      for (const e of decide(c, state)) {
        events.push(e);
        state = evolve(state, e);
      }
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
    }
  }
  return recorded(events, '2023-01-01T08:00:00.5Z', 7);
}

const asOfDates = day(-40, 1000);
const outcome = <T>(f: () => T): { ok: T } | { error: string } => {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
};

describe.each(Object.entries(setups))('the fast path equals the reference: %s', (_name, setup) => {
  const histories = fc.array(commandOf(setup), { minLength: 3, maxLength: 40 }).map((cs) => historyOf(setup, cs));

  it('statusOf, for any asOf and knownAt', () => {
    fc.assert(
      fc.property(histories, asOfDates, fc.nat(), (h, asOf, cut) => {
        const knownAt = h[cut % h.length].recordedAt;
        const a = outcome(() => statusOf(h, { asOf, knownAt }));
        const b = outcome(() => referenceStatusOf(h, { asOf, knownAt }));
        expect(a).toEqual(b);
        if ('ok' in a && 'ok' in b) expect(JSON.stringify(a.ok)).toBe(JSON.stringify(b.ok));
      }),
      { numRuns: 150 },
    );
  });

  it('figuresOf on a folded state, and fold itself (same state, same key order)', () => {
    fc.assert(
      fc.property(histories, asOfDates, (h, asOf) => {
        const events = h.map((r) => r.event);
        const s = fold(events);
        const r = referenceFold(events);
        expect(JSON.stringify(s)).toBe(JSON.stringify(r));
        expect(s).toEqual(r);
        if (!isRegistered(s) || !isRegistered(r)) return;
        expect(outcome(() => figuresOf(s, asOf, null))).toEqual(outcome(() => referenceFiguresOf(r, asOf, null)));
        // folding on from a folded state
        expect(fold(events.slice(3), fold(events.slice(0, 3)))).toEqual(r);
      }),
      { numRuns: 100 },
    );
  });

  it('contributionValue equals roundParts(contributionParts(…)) for every contribution and date', () => {
    fc.assert(
      fc.property(histories, asOfDates, (h, upTo) => {
        const s = fold(h.map((r) => r.event)) as RegisteredContract;
        if (!isRegistered(s)) return;
        const ctx: ValuationContext = { periods: s.periods, contractStart: s.startDate, contractEnd: s.endDate };
        const all = Object.values(s.contributions);
        const counted = countedActivities(all, ctx);
        for (const c of all) {
          const fast = outcome(() => {
            const v = contributionValue(c, ctx, upTo, counted);
            return { cents: v.cents, lines: v.lines.map((l) => ({ catalogue: l.catalogue, blockCode: l.blockCode, category: l.category, cents: l.cents })) };
          });
          const ref = outcome(() => {
            const v = roundParts(contributionParts(c, ctx, upTo, counted));
            return { cents: v.cents, lines: v.lines };
          });
          expect(fast).toEqual(ref);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('instant keys', () => {
  const reference = (s: string): [number, number] | string => {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/.exec(s);
    if (!m) return 'invalid';
    const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
    const dim = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
    if (mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || sec > 59) return 'invalid';
    return [Date.UTC(y, mo - 1, d, h, mi, sec) / 1000, Number((m[7] ?? '').padEnd(9, '0'))];
  };
  const key = (s: string) => {
    try {
      return instantKey(s);
    } catch {
      return 'invalid';
    }
  };
  it('reads the same key as the regular expression, and refuses the same strings', () => {
    const digits = (n: number) => fc.array(fc.constantFrom('0', '1', '2', '3', '5', '9'), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const near = fc
      .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), fc.option(fc.integer({ min: 0, max: 11 }).chain((n) => digits(n)), { nil: undefined }), fc.constantFrom('Z', 'Z', 'Z', 'z', '+00:00', ''), fc.constantFrom('T', 'T', 't', ' '))
      .map(([y, mo, d, h, mi, s, f, z, t]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${f === undefined ? '' : `.${f}`}${z}`);
    const valid = fc.date({ min: new Date(-1e14), max: new Date(1e14), noInvalidDate: true }).map((d) => d.toISOString()).filter((s) => !s.startsWith('+') && !s.startsWith('-'));
    fc.assert(
      fc.property(fc.oneof(near, valid, fc.string()), (s) => {
        expect(key(s)).toEqual(reference(s));
      }),
      { numRuns: 3000 },
    );
    for (const s of ['2024-02-29T23:59:59Z', '2023-02-29T00:00:00Z', '0050-01-01T00:00:00.000000001Z', '2024-01-01T00:00:00.Z', '2024-01-01T24:00:00Z']) expect(key(s)).toEqual(reference(s));
  });
});
