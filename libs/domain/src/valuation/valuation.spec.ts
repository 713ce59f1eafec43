import { valueOf, type ContributionInput, type ValuationWindow } from './value-of';
import { utrecht2015, utrecht2019, haaglanden2023, hollandRijnland2023, hilversum2015 } from '../catalogues/shipped';
import type { CatalogueVersion } from '../catalogues/types';
import { DomainError } from '../shared/errors';

const W = (contractStart: string, contractEnd: string, asOf: string): ValuationWindow => ({ contractStart, contractEnd, asOf });
const hire = (blockCode: string, startDate: string, endDate: string | null, hoursPerWeek: number, extra: Partial<Extract<ContributionInput, { kind: 'placement' }>> = {}): ContributionInput => ({
  kind: 'placement',
  blockCode,
  startDate,
  endDate,
  hoursPerWeek,
  permanent: false,
  ...extra,
});

// Hand-worked cases on the shipped tables. Each expected value is worked out in the comment.
const cases: { name: string; version: CatalogueVersion; c: ContributionInput; w: ValuationWindow; cents: number }[] = [
  {
    name: 'RULES.md worked example: PW 24 h, 2023-01-01..2023-06-30 (181 days): 40,000 × 24/36 / 365 × 181 = 13,223.7443…',
    version: utrecht2019,
    c: hire('PW', '2023-01-01', '2023-06-30', 24),
    w: W('2023-01-01', '2024-12-31', '2024-12-31'),
    cents: 1_322_374,
  },
  {
    name: 'leap year: PW 36 h for all of 2024 (366 days) = 40,000 × 366/365 = 40,109.589…',
    version: utrecht2019,
    c: hire('PW', '2024-01-01', '2024-12-31', 36),
    w: W('2024-01-01', '2024-12-31', '2024-12-31'),
    cents: 4_010_959,
  },
  {
    name: 'part-time change mid-way: BA 18 h, 36 h from 2023-07-01: 50,000 × (½ × 181 + 184)/365 = 37,602.739…',
    version: utrecht2019,
    c: hire('BA', '2023-01-01', '2023-12-31', 18, { changes: [{ effectiveDate: '2023-07-01', hoursPerWeek: 36, permanent: false }] }),
    w: W('2023-01-01', '2024-12-31', '2024-12-31'),
    cents: 3_760_274,
  },
  {
    name: 'permanent conversion on 2023-04-01: WW 36 h 2023 + permanent bonus for 275 days: 20,000 + 10,000 × 275/365 = 27,534.246…',
    version: utrecht2019,
    c: hire('WW', '2023-01-01', '2023-12-31', 36, { changes: [{ effectiveDate: '2023-04-01', hoursPerWeek: 36, permanent: true }] }),
    w: W('2023-01-01', '2024-12-31', '2024-12-31'),
    cents: 2_753_425,
  },
  {
    name: 'pre-start hire (2022-03-01) counts from the contract start: PW 36 h, 90 days to 2023-03-31 = 40,000 × 90/365 = 9,863.013…',
    version: utrecht2019,
    c: hire('PW', '2022-03-01', null, 36),
    w: W('2023-01-01', '2024-12-31', '2023-03-31'),
    cents: 986_301,
  },
  {
    name: 'hours above the FTE are capped: NUG 40 h in January 2023 = 10,000 × 31/365 = 849.315…',
    version: utrecht2019,
    c: hire('NUG', '2023-01-01', null, 40),
    w: W('2023-01-01', '2024-12-31', '2023-01-31'),
    cents: 84_932,
  },
  {
    name: 'bonuses stack: PW + 50+ + statushouder, 90 days = 60,000 × 90/365 = 14,794.520…',
    version: utrecht2019,
    c: hire('PW', '2023-01-01', '2023-03-31', 36, { bonusCodes: ['B-50PLUS', 'B-STATUS'] }),
    w: W('2023-01-01', '2024-12-31', '2024-12-31'),
    cents: 1_479_452,
  },
  {
    name: 'permanent from the start, Utrecht 2015: PW-GT2 + permanent 18 h for 2016 (leap): 50,000 × ½ × 366/365 = 25,068.493…',
    version: utrecht2015,
    c: hire('PW-GT2', '2016-01-01', '2016-12-31', 18, { permanent: true }),
    w: W('2016-01-01', '2017-12-31', '2017-12-31'),
    cents: 2_506_849,
  },
  {
    name: 'days after the contract end do not count: WW-LT1 (2015) 36 h from 2017-12-01 to 2018-03-31, contract ends 2017-12-31: 15,000 × 31/365 = 1,273.972…',
    version: utrecht2015,
    c: hire('WW-LT1', '2017-12-01', '2018-03-31', 36),
    w: W('2016-01-01', '2017-12-31', '2018-12-31'),
    cents: 127_397,
  },
  {
    name: 'Haaglanden maximum: WW counts 12 months (2023-07-01..2024-06-30, 366 days): 20,000 × 366/365 = 20,054.794…',
    version: haaglanden2023,
    c: hire('WW', '2023-07-01', null, 36),
    w: W('2023-07-01', '2025-12-31', '2025-06-30'),
    cents: 2_005_479,
  },
  {
    name: 'Haaglanden: BA has no maximum: 2023-07-01..2025-06-30 (731 days) = 50,000 × 731/365 = 100,136.986…',
    version: haaglanden2023,
    c: hire('BA', '2023-07-01', null, 36),
    w: W('2023-07-01', '2025-12-31', '2025-06-30'),
    cents: 10_013_699,
  },
  {
    name: 'Holland Rijnland BOL internship valued per year without hours: 10 h still counts as FTE, January = 10,000 × 31/365',
    version: hollandRijnland2023,
    c: hire('BOL-STAGE', '2024-01-01', '2024-01-31', 10),
    w: W('2023-09-01', '2025-12-31', '2025-12-31'),
    cents: 84_932,
  },
  {
    name: 'purchase on invoice at 100%: EUR 12,345.67 excl. VAT',
    version: utrecht2019,
    c: { kind: 'purchase', blockCode: 'SOCIAL-PURCHASE', date: '2023-05-01', amountExclVatCents: 1_234_567 },
    w: W('2023-01-01', '2024-12-31', '2024-12-31'),
    cents: 1_234_567,
  },
  {
    name: 'hourly: 12.5 hours of help to an initiative × EUR 100 = EUR 1,250',
    version: utrecht2019,
    c: { kind: 'knowledge-sharing', blockCode: 'INITIATIVE', date: '2023-05-01', hours: 12.5 },
    w: W('2023-01-01', '2024-12-31', '2024-12-31'),
    cents: 125_000,
  },
  {
    name: 'knowledge sharing by means (invoice): EUR 800',
    version: utrecht2019,
    c: { kind: 'knowledge-sharing', blockCode: 'KNOWLEDGE', date: '2023-05-01', costCents: 80_000 },
    w: W('2023-01-01', '2024-12-31', '2024-12-31'),
    cents: 80_000,
  },
  {
    name: 'Hilversum MVO: 7.25 hours × EUR 100 = EUR 725',
    version: hilversum2015,
    c: { kind: 'knowledge-sharing', blockCode: 'MVO', date: '2015-05-01', hours: 7.25 },
    w: W('2015-01-01', '2016-12-31', '2016-12-31'),
    cents: 72_500,
  },
  {
    name: 'per activity (Holland Rijnland): EUR 1,000',
    version: hollandRijnland2023,
    c: { kind: 'activity', blockCode: 'ACTIVITY', date: '2024-02-01' },
    w: W('2023-09-01', '2025-12-31', '2025-12-31'),
    cents: 100_000,
  },
  {
    name: 'by agreement without agreed value: 0',
    version: utrecht2019,
    c: { kind: 'activity', blockCode: 'MOBILITY', date: '2023-05-01' },
    w: W('2023-01-01', '2024-12-31', '2024-12-31'),
    cents: 0,
  },
  {
    name: 'a one-off dated after asOf does not count yet',
    version: utrecht2019,
    c: { kind: 'purchase', blockCode: 'SOCIAL-PURCHASE', date: '2023-05-01', amountExclVatCents: 1_000 },
    w: W('2023-01-01', '2024-12-31', '2023-04-30'),
    cents: 0,
  },
];

describe('valueOf: hand-worked cases on the shipped tables', () => {
  it.each(cases)('$name', ({ version, c, w, cents }) => {
    const v = valueOf(c, version, w);
    expect(v.cents).toBe(cents);
    expect(v.lines.reduce((a, l) => a + l.cents, 0)).toBe(cents);
  });

  it('splits a stacked placement over its blocks with lines that sum to the once-rounded value', () => {
    const v = valueOf(hire('PW', '2023-01-01', '2023-03-31', 36, { bonusCodes: ['B-50PLUS', 'B-STATUS'] }), utrecht2019, W('2023-01-01', '2024-12-31', '2024-12-31'));
    expect(v.lines.map((l) => [l.blockCode, l.category, l.cents])).toEqual([
      ['PW', 'employment', 986_302], // 986,301.37: the largest remainder takes the rounding cent
      ['B-50PLUS', 'bonus', 246_575],
      ['B-STATUS', 'bonus', 246_575],
    ]);
    expect(v.exactCents).toBe('1479452.054795');
  });

  it('flags a by-agreement contribution without agreed value as awaiting, and values an agreed one', () => {
    const w = W('2023-01-01', '2024-12-31', '2024-12-31');
    expect(valueOf({ kind: 'activity', blockCode: 'DEVELOPMENT', date: '2023-05-01' }, utrecht2019, w).awaitingAgreement).toBe(true);
    const agreed = valueOf({ kind: 'activity', blockCode: 'DEVELOPMENT', date: '2023-05-01', agreedValueCents: 250_000 }, utrecht2019, w);
    expect([agreed.cents, agreed.awaitingAgreement]).toEqual([250_000, false]);
  });

  it('refuses an unknown block and a block that cannot value the contribution', () => {
    const w = W('2023-01-01', '2024-12-31', '2024-12-31');
    expect(() => valueOf(hire('PW-LT2', '2023-01-01', null, 36), utrecht2019, w)).toThrow(DomainError);
    expect(() => valueOf({ kind: 'purchase', blockCode: 'INITIATIVE', date: '2023-05-01', amountExclVatCents: 100 }, utrecht2019, w)).toThrow(
      expect.objectContaining({ code: 'block-wrong-category' }),
    );
  });

  it('does not round per day: 1 h a week of NUG for a year is 10,000/36 = 277.78, not 365 × 0.76', () => {
    expect(valueOf(hire('NUG', '2023-01-01', '2023-12-31', 1), utrecht2019, W('2023-01-01', '2023-12-31', '2023-12-31')).cents).toBe(27_778);
  });
});
