import fc from 'fast-check';
import { addDays } from '../shared/dates';
import { DomainError } from '../shared/errors';
import { utrecht2015, utrecht2019 } from '../catalogues/shipped';
import type { ContractCommand } from '../contract/commands';
import type { ContractEvent, RecordedEvent } from '../contract/events';
import { decide } from '../contract/decide';
import { evolve, fold } from '../contract/evolve';
import { initialState } from '../contract/state';
import { recorded, registered } from '../testing/gwt';
import { audit, statusOf } from './status';
import type { ContractStatus } from './figures';

// Random histories on a Utrecht 2015 contract (2019-01-01..2020-12-31) that may migrate to 2019.
const BASE = '2019-01-01';
const day = (min: number, max: number) => fc.integer({ min, max }).map((n) => addDays(BASE, n));
const pid = fc.constantFrom('p-0', 'p-1', 'p-2');
const oid = fc.constantFrom('k-0', 'k-1', 'a-0');
const anyId = fc.oneof(pid, oid);
const hours = fc.oneof(fc.integer({ min: 1, max: 45 }), fc.integer({ min: 2, max: 90 }).map((n) => n / 2));

const command: fc.Arbitrary<ContractCommand> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ placementId: pid, candidateRef: fc.constantFrom('cand-a', 'cand-b'), blockCode: fc.constantFrom('PW-LT2', 'PW-GT2', 'WW-LT1', 'BA', 'NUG', 'BOL', 'PW'), bonusCodes: fc.subarray(['B-50PLUS', 'B-STATUS']), startDate: day(-380, 600), endDate: fc.option(day(300, 760), { nil: null }), hoursPerWeek: hours, permanent: fc.boolean() }).map((data) => ({ type: 'RecordHire', data }) as ContractCommand) },
  { weight: 3, arbitrary: fc.record({ placementId: pid, effectiveDate: day(0, 500), hoursPerWeek: fc.option(hours, { nil: undefined }), permanent: fc.option(fc.boolean(), { nil: undefined }) }).map((data) => ({ type: 'ChangePlacement', data }) as ContractCommand) },
  { weight: 2, arbitrary: fc.record({ placementId: pid, endDate: day(300, 760), reason: fc.constant('einde') }).map((data) => ({ type: 'EndPlacement', data }) as ContractCommand) },
  { weight: 2, arbitrary: fc.record({ contributionId: oid, supplier: fc.constant({ name: 'SW-bedrijf' }), invoiceReference: fc.constant('F-1'), amountExclVatCents: fc.integer({ min: 1, max: 5_000_000 }), date: day(0, 730), blockCode: fc.constantFrom('WSW', 'SOCIAL', 'SOCIAL-PURCHASE') }).map((data) => ({ type: 'RecordPurchase', data }) as ContractCommand) },
  { weight: 1, arbitrary: fc.record({ contributionId: oid, description: fc.constant('gastles'), date: day(0, 730), blockCode: fc.constantFrom('SOCIAL', 'INITIATIVE', 'KNOWLEDGE'), hours }).map((data) => ({ type: 'RecordKnowledgeSharing', data }) as ContractCommand) },
  { weight: 1, arbitrary: fc.record({ contributionId: fc.constant('a-0'), description: fc.constant('vervoer'), date: day(0, 730), blockCode: fc.constantFrom('MOBILITY', 'DEVELOPMENT') }).map((data) => ({ type: 'RecordActivity', data }) as ContractCommand) },
  { weight: 1, arbitrary: fc.record({ contributionId: fc.constant('a-0'), valueCents: fc.integer({ min: 0, max: 1_000_000 }), note: fc.constant('akkoord') }).map((data) => ({ type: 'RecordAgreedValue', data }) as ContractCommand) },
  { weight: 2, arbitrary: fc.record({ contributionId: anyId, verdict: fc.constantFrom('verified' as const, 'rejected' as const), note: fc.constant('gezien') }).map((data) => ({ type: 'RecordVerification', data }) as ContractCommand) },
  { weight: 1, arbitrary: fc.record({ contributionId: anyId, reason: fc.constant('correctie') }).map((data) => ({ type: 'WithdrawContribution', data }) as ContractCommand) },
  { weight: 1, arbitrary: fc.record({ contributionValueCents: fc.integer({ min: 1, max: 500_000_000 }), effectiveDate: day(0, 730) }).map(({ contributionValueCents, effectiveDate }) => ({ type: 'ChangeContractValue', data: { contractValueCents: contributionValueCents, effectiveDate, reason: 'wijziging' } }) as ContractCommand) },
  { weight: 1, arbitrary: day(200, 900).map((endDate) => ({ type: 'ChangeContractPeriod', data: { endDate, reason: 'wijziging' } }) as ContractCommand) },
  { weight: 1, arbitrary: day(273, 730).map((effectiveDate) => ({ type: 'MigrateCatalogue', data: { catalogue: utrecht2019, effectiveDate, blockMapping: { SOCIAL: 'KNOWLEDGE' }, reason: 'migratie' } }) as ContractCommand) },
);

/** Decides the commands in turn, dropping refused ones (a DomainError), and records the events. */
function historyOf(commands: readonly ContractCommand[]): RecordedEvent[] {
  const events: ContractEvent[] = [registered({ startDate: BASE, endDate: '2020-12-31' }, utrecht2015)];
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
  return recorded(events, '2019-01-01T08:00:00Z', 7);
}

const histories = fc.array(command, { minLength: 4, maxLength: 30 }).map(historyOf);
const asOfDates = day(-30, 950);
const last = (h: RecordedEvent[]) => h[h.length - 1].recordedAt;
const strip = ({ knownAt: _k, ...s }: ContractStatus) => s;

const sumBy = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);

describe('properties of valuation and status', () => {
  it('totals equal the sum of their lines, by block and by category; verified ≤ realised ≤ committed', () => {
    fc.assert(
      fc.property(histories, asOfDates, (h, asOf) => {
        const s = statusOf(h, { asOf, knownAt: last(h) });
        for (const f of ['realisedCents', 'committedCents', 'verifiedCents', 'awaitingAgreement'] as const) {
          expect(sumBy(s.byBlock, (l) => l[f])).toBe(s[f]);
          expect(sumBy(Object.values(s.byCategory), (l) => l[f])).toBe(s[f]);
        }
        expect(sumBy(s.contributions, (c) => c.realisedCents)).toBe(s.realisedCents);
        expect(s.verifiedCents).toBeLessThanOrEqual(s.realisedCents);
        expect(s.realisedCents).toBeLessThanOrEqual(s.committedCents);
      }),
      { numRuns: 150 },
    );
  });

  it('realised never decreases as the date moves forward, for a fixed history', () => {
    fc.assert(
      fc.property(histories, asOfDates, fc.integer({ min: 1, max: 400 }), (h, d1, step) => {
        const a = statusOf(h, { asOf: d1, knownAt: last(h) });
        const b = statusOf(h, { asOf: addDays(d1, step), knownAt: last(h) });
        expect(b.realisedCents).toBeGreaterThanOrEqual(a.realisedCents);
        expect(b.verifiedCents).toBeGreaterThanOrEqual(a.verifiedCents);
      }),
      { numRuns: 150 },
    );
  });

  it('knownAt before an event was recorded ignores it', () => {
    fc.assert(
      fc.property(
        histories.chain((h) => fc.tuple(fc.constant(h), fc.integer({ min: 1, max: Math.max(1, h.length - 1) }))),
        asOfDates,
        ([h, i], asOf) => {
          if (i >= h.length) return;
          const justBefore = new Date(Date.parse(h[i].recordedAt) - 1).toISOString();
          const cut = statusOf(h, { asOf, knownAt: justBefore });
          const prefix = statusOf(h.slice(0, i), { asOf, knownAt: '2100-01-01T00:00:00Z' });
          expect(strip(cut)).toEqual(strip(prefix));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('replaying a history gives the same state every time, also after a JSON round trip', () => {
    fc.assert(
      fc.property(histories, (h) => {
        const events = h.map((r) => r.event);
        const s1 = events.reduce(evolve, initialState);
        const s2 = events.reduce(evolve, initialState);
        const s3 = (JSON.parse(JSON.stringify(events)) as ContractEvent[]).reduce(evolve, initialState);
        expect(s2).toEqual(s1);
        expect(s3).toEqual(s1);
        expect(JSON.parse(JSON.stringify(s1))).toEqual(s1);
      }),
      { numRuns: 100 },
    );
  });

  it('the audit effects add up to the final totals', () => {
    fc.assert(
      fc.property(histories, asOfDates, (h, asOf) => {
        const a = audit(h, { asOf });
        const final = statusOf(h, { asOf, knownAt: last(h) });
        expect(sumBy(a, (e) => e.effect.realisedCents)).toBe(final.realisedCents);
        expect(sumBy(a, (e) => e.effect.committedCents)).toBe(final.committedCents);
        expect(sumBy(a, (e) => e.effect.obligationCents)).toBe(final.obligationCents);
      }),
      { numRuns: 60 },
    );
  });

  it('histories are rich enough to exercise the rules (sanity check of the generator)', () => {
    const samples = fc.sample(histories, { numRuns: 200, seed: 42 });
    const types = new Set(samples.flatMap((h) => h.map((r) => r.event.type)));
    for (const t of ['HireRecorded', 'PlacementChanged', 'PlacementEnded', 'PurchaseRecorded', 'ContributionWithdrawn', 'ContractCatalogueMigrated', 'AgreedValueRecorded']) {
      expect(types).toContain(t);
    }
  });
});
