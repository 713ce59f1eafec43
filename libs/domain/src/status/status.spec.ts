import { recorded, registered, run } from '../testing/gwt';
import { utrecht2015, utrecht2019, hollandRijnland2023 } from '../catalogues/shipped';
import type { ContractCommand } from '../contract/commands';
import type { RecordedEvent } from '../contract/events';
import { audit, replay, statusOf } from './status';
import { statusLabel } from './figures';
import { DomainError } from '../shared/errors';

const at = (h: RecordedEvent[], i: number) => h[i].recordedAt;

describe('statusOf: a contract through its life (Utrecht 2019, EUR 1,000,000 at 5%)', () => {
  const commands: ContractCommand[] = [
    { type: 'RecordHire', data: { placementId: 'p-1', candidateRef: 'cand-1', blockCode: 'PW', startDate: '2023-01-01', endDate: '2023-06-30', hoursPerWeek: 24, permanent: false } }, // 1
    { type: 'RecordPurchase', data: { contributionId: 'k-1', supplier: { name: 'Sociaal BV' }, invoiceReference: 'F-1', amountExclVatCents: 500_000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE' } }, // 2
    { type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'verified', note: 'ok' } }, // 3
    { type: 'WithdrawContribution', data: { contributionId: 'k-1', reason: 'Factuur hoort bij ander contract' } }, // 4
    { type: 'RecordActivity', data: { contributionId: 'a-1', description: 'OV-abonnementen', date: '2023-05-01', blockCode: 'MOBILITY' } }, // 5
    { type: 'ChangeContractValue', data: { contractValueCents: 120_000_000, effectiveDate: '2023-07-01', reason: 'Meerwerk' } }, // 6
    { type: 'RecordAgreedValue', data: { contributionId: 'a-1', valueCents: 200_000, note: 'Afgesproken' } }, // 7
  ];
  const h = recorded(run(commands, [registered()]));

  it('reproduces the worked example: realised EUR 13,223.74 against an obligation of EUR 50,000', () => {
    const s = statusOf(h, { asOf: '2023-06-30', knownAt: at(h, 3) });
    expect(s.obligationCents).toBe(5_000_000);
    expect(s.realisedCents).toBe(1_322_374 + 500_000);
    expect(s.byBlock.map((l) => [l.catalogueId, l.version, l.blockCode, l.realisedCents])).toEqual([
      ['utrecht', '2019', 'PW', 1_322_374],
      ['utrecht', '2019', 'SOCIAL-PURCHASE', 500_000],
    ]);
    expect(s.byCategory.employment.realisedCents).toBe(1_322_374);
    expect(s.byCategory.purchase.realisedCents).toBe(500_000);
    expect(s.verifiedCents).toBe(1_322_374);
    expect(s.catalogue).toEqual({ id: 'utrecht', version: '2019' });
  });

  it('counts placement days up to asOf and commits the rest up to the planned end', () => {
    const s = statusOf(h, { asOf: '2023-03-31', knownAt: at(h, 1) });
    expect(s.realisedCents).toBe(657_534);
    expect(s.committedCents).toBe(1_322_374);
    expect(s.status).toBe('on-track'); // 657,534 × 731 ≥ 5,000,000 × 90
    expect(statusOf(h, { asOf: '2023-09-30', knownAt: at(h, 1) }).status).toBe('behind'); // 1,322,374 × 731 < 5,000,000 × 273
  });

  it('ignores events recorded after knownAt (a withdrawal only counts from its recording)', () => {
    expect(statusOf(h, { asOf: '2023-03-31', knownAt: at(h, 3) }).realisedCents).toBe(657_534 + 500_000);
    const after = statusOf(h, { asOf: '2023-03-31', knownAt: at(h, 4) });
    expect(after.realisedCents).toBe(657_534);
    expect(after.contributions.find((c) => c.contributionId === 'k-1')?.counting).toBe('withdrawn');
  });

  it('lists a by-agreement contribution as awaiting until its value is agreed', () => {
    const before = statusOf(h, { asOf: '2023-12-31', knownAt: at(h, 6) });
    expect(before.awaitingAgreement).toBe(1);
    expect(before.byCategory.agreement).toEqual({ realisedCents: 0, committedCents: 0, verifiedCents: 0, awaitingAgreement: 1 });
    const agreed = statusOf(h, { asOf: '2023-12-31', knownAt: at(h, 7) });
    expect(agreed.awaitingAgreement).toBe(0);
    expect(agreed.realisedCents).toBe(1_322_374 + 200_000);
    expect(statusOf(h, { asOf: '2023-04-30', knownAt: at(h, 7) }).awaitingAgreement).toBe(0); // dated after asOf
  });

  it('uses the contract value in force on asOf', () => {
    expect(statusOf(h, { asOf: '2023-06-30', knownAt: at(h, 7) }).obligationCents).toBe(5_000_000);
    expect(statusOf(h, { asOf: '2023-07-01', knownAt: at(h, 7) }).obligationCents).toBe(6_000_000);
    expect(statusOf(h, { asOf: '2023-07-01', knownAt: at(h, 5) }).obligationCents).toBe(5_000_000);
  });

  it('refuses a status before the registration was recorded', () => {
    expect(() => statusOf(h, { asOf: '2023-07-01', knownAt: '2022-01-01T00:00:00Z' })).toThrow(expect.objectContaining({ code: 'contract-not-registered' }));
  });

  it('is consistent: totals equal the sum of lines and of categories', () => {
    const s = statusOf(h, { asOf: '2023-12-31', knownAt: at(h, 7) });
    expect(s.byBlock.reduce((a, l) => a + l.realisedCents, 0)).toBe(s.realisedCents);
    expect(Object.values(s.byCategory).reduce((a, l) => a + l.committedCents, 0)).toBe(s.committedCents);
  });
});

describe('status labels', () => {
  it('follows RULES.md', () => {
    expect(statusLabel(100, 100, '2023-01-01', '2023-01-01', '2023-12-31')).toBe('met');
    expect(statusLabel(99, 100, '2024-01-01', '2023-01-01', '2023-12-31')).toBe('not-met');
    expect(statusLabel(99, 100, '2023-12-31', '2023-01-01', '2023-12-31')).toBe('behind');
    expect(statusLabel(0, 100, '2022-12-31', '2023-01-01', '2023-12-31')).toBe('on-track');
    // 365 days, 1 elapsed: on track from 100 × 1/365
    expect(statusLabel(1, 100, '2023-01-01', '2023-01-01', '2023-12-31')).toBe('on-track');
    expect(statusLabel(50, 100, '2023-07-03', '2023-01-01', '2023-12-31')).toBe('behind'); // 184/365 > 0.5
  });

  it('says not-met after a shortened end date', () => {
    const h = recorded(
      run(
        [
          { type: 'RecordHire', data: { placementId: 'p-1', candidateRef: 'c', blockCode: 'WW', startDate: '2023-01-01', hoursPerWeek: 36, permanent: false } },
          { type: 'ChangeContractPeriod', data: { endDate: '2023-06-30', reason: 'Ingekort' } },
        ],
        [registered()],
      ),
    );
    const s = statusOf(h, { asOf: '2023-07-15', knownAt: at(h, 2) });
    expect([s.status, s.realisedCents, s.committedCents, s.endDate]).toEqual(['not-met', 991_781, 991_781, '2023-06-30']);
    // before the shortening was recorded, the open-ended placement was committed to the original end
    expect(statusOf(h, { asOf: '2023-06-30', knownAt: at(h, 1) }).committedCents).toBe(4_005_479); // 20,000 × 731/365 (2024 is a leap year)
  });
});

describe('catalogue migration Utrecht 2015 → 2019, effective 2020-01-01', () => {
  const reg = registered({ startDate: '2019-01-01', endDate: '2020-12-31' }, utrecht2015);
  const h = recorded(
    run(
      [
        { type: 'RecordHire', data: { placementId: 'p-1', candidateRef: 'c-1', blockCode: 'PW-LT2', startDate: '2019-01-01', hoursPerWeek: 36, permanent: false } },
        { type: 'RecordPurchase', data: { contributionId: 'k-1', supplier: { name: 'SW' }, invoiceReference: 'F-1', amountExclVatCents: 100_000, date: '2019-06-01', blockCode: 'WSW' } },
        { type: 'RecordPurchase', data: { contributionId: 'k-2', supplier: { name: 'SW' }, invoiceReference: 'F-2', amountExclVatCents: 200_000, date: '2020-06-01', blockCode: 'WSW' } },
        { type: 'MigrateCatalogue', data: { catalogue: utrecht2019, effectiveDate: '2020-01-01', reason: 'Op verzoek opdrachtnemer' } },
      ],
      [reg],
    ),
  );

  it('values days before E under 2015 and days from E under 2019', () => {
    const s = statusOf(h, { asOf: '2020-12-31', knownAt: at(h, 4) });
    // 30,000 × 365/365 + 40,000 × 366/365 = 70,109.589… → 7,010,959 cents, split per version
    expect(s.contributions.find((c) => c.contributionId === 'p-1')?.realisedCents).toBe(7_010_959);
    expect(s.byBlock.map((l) => [l.catalogueId, l.version, l.blockCode, l.realisedCents])).toEqual([
      ['utrecht', '2015', 'PW-LT2', 3_000_000],
      ['utrecht', '2015', 'WSW', 100_000],
      ['utrecht', '2019', 'PW', 4_010_959],
      ['utrecht', '2019', 'SOCIAL-PURCHASE', 200_000],
    ]);
    expect(s.catalogue).toEqual({ id: 'utrecht', version: '2019' });
    expect(statusOf(h, { asOf: '2019-12-31', knownAt: at(h, 4) }).catalogue).toEqual({ id: 'utrecht', version: '2015' });
  });

  it('as known before the migration, everything stays on 2015', () => {
    const s = statusOf(h, { asOf: '2020-12-31', knownAt: at(h, 3) });
    expect(s.realisedCents).toBe(6_008_219 + 300_000); // 30,000 × 731/365
  });

  it('the audit view shows what the migration did, line by line', () => {
    const a = audit(h, { asOf: '2020-12-31' });
    const m = a[4];
    expect(m.type).toBe('ContractCatalogueMigrated');
    expect(m.effect.realisedCents).toBe(7_010_959 - 6_008_219);
    expect(m.lines.map((l) => [l.version, l.blockCode, l.realisedCents])).toEqual([
      ['2015', 'PW-LT2', 3_000_000 - 6_008_219],
      ['2015', 'WSW', -200_000],
      ['2019', 'PW', 4_010_959],
      ['2019', 'SOCIAL-PURCHASE', 200_000],
    ]);
    expect(a.reduce((acc, e) => acc + e.effect.realisedCents, 0)).toBe(a[a.length - 1].after.realisedCents);
    expect(a[0]).toMatchObject({ type: 'ContractRegistered', effect: { obligationCents: 5_000_000, realisedCents: 0 } });
  });

  it('replay gives the state and figures after each event, up to a revision', () => {
    const r = replay(h, 2, { asOf: '2020-12-31' });
    expect(r.steps.map((s) => s.event.type)).toEqual(['ContractRegistered', 'HireRecorded', 'PurchaseRecorded']);
    expect(r.steps[2].status?.realisedCents).toBe(6_008_219 + 100_000);
    expect(r.state).toBe(r.steps[2].state);
    expect(replay(h).steps).toHaveLength(5);
  });
});

describe('per activity: at most one counted per contract per day', () => {
  const reg = registered({ startDate: '2024-01-01', endDate: '2024-12-31' }, hollandRijnland2023);
  const act = (id: string, date: string): ContractCommand => ({ type: 'RecordActivity', data: { contributionId: id, description: 'Open dag', date, blockCode: 'ACTIVITY' } });
  const h = recorded(run([act('a-1', '2024-03-01'), act('a-2', '2024-03-01'), act('a-3', '2024-03-02'), { type: 'WithdrawContribution', data: { contributionId: 'a-1', reason: 'x' } }], [reg]));
  it('counts the first recorded of the day, and the next one once the first is withdrawn', () => {
    const s = statusOf(h, { asOf: '2024-12-31', knownAt: at(h, 3) });
    expect(s.realisedCents).toBe(200_000);
    expect(s.contributions.find((c) => c.contributionId === 'a-2')?.counting).toBe('not-counted-same-day');
    expect(statusOf(h, { asOf: '2024-12-31', knownAt: at(h, 4) }).realisedCents).toBe(200_000);
    expect(statusOf(h, { asOf: '2024-12-31', knownAt: at(h, 4) }).contributions.find((c) => c.contributionId === 'a-2')?.counting).toBe('counted');
  });
});

describe('rejections and verification', () => {
  const h = recorded(
    run(
      [
        { type: 'RecordHire', data: { placementId: 'p-1', candidateRef: 'c', blockCode: 'NUG', startDate: '2023-01-01', endDate: '2023-12-31', hoursPerWeek: 36, permanent: false } },
        { type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'rejected', note: 'Geen bewijs' } },
        { type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'verified', note: 'Bewijs alsnog ontvangen' } },
      ],
      [registered()],
    ),
  );
  it('a rejected contribution counts 0; a later verification restores it as verified', () => {
    expect(statusOf(h, { asOf: '2023-12-31', knownAt: at(h, 2) }).realisedCents).toBe(0);
    const s = statusOf(h, { asOf: '2023-12-31', knownAt: at(h, 3) });
    expect([s.realisedCents, s.verifiedCents]).toEqual([1_000_000, 1_000_000]);
  });
  it('rejects bad query dates and instants', () => {
    expect(() => statusOf(h, { asOf: '2023-13-01', knownAt: at(h, 1) })).toThrow(DomainError);
    expect(() => statusOf(h, { asOf: '2023-12-01', knownAt: '2023-12-01 10:00' })).toThrow(expect.objectContaining({ code: 'invalid-instant' }));
  });
});
