import { estimate } from './planner';
import { utrecht2019, haaglanden2023, harlingen2020, hollandRijnland2023 } from './catalogues/shipped';

describe('estimate (planner)', () => {
  it('values a plan against the obligation', () => {
    const e = estimate(utrecht2019, 100_000_000, 5, [
      { blockCode: 'PW', hoursPerWeek: 24, days: 181 }, // the worked example
      { blockCode: 'BA', months: 12, bonusCodes: ['B-50PLUS'], permanent: true }, // 70,000
      { blockCode: 'INITIATIVE', hours: 40 }, // 4,000
      { blockCode: 'SOCIAL-PURCHASE', amountCents: 250_000 },
      { blockCode: 'MOBILITY' },
    ]);
    expect(e.items.map((i) => i.valueCents)).toEqual([1_322_374, 7_000_000, 400_000, 250_000, 0]);
    expect(e.items[4].awaitingAgreement).toBe(true);
    expect(e.totalCents).toBe(8_972_374);
    expect(e.obligationCents).toBe(5_000_000);
    expect([e.meetsObligation, e.shortfallCents]).toEqual([true, 0]);
  });

  it('caps durations at the maximum counted period and counts activities', () => {
    const e = estimate(haaglanden2023, 50_000_000, '2.5', [{ blockCode: 'WW', months: 24 }]);
    expect(e.items[0].valueCents).toBe(2_000_000); // 12 months at most
    expect([e.obligationCents, e.shortfallCents, e.meetsObligation]).toEqual([1_250_000, 0, true]);
    expect(estimate(hollandRijnland2023, 10_000_000, 5, [{ blockCode: 'ACTIVITY', count: 3 }]).totalCents).toBe(300_000);
  });

  it('checks bonuses as recording a hire does: exclusive groups, applicability, the permanent bonus by its flag, duplicates', () => {
    const plan = (v: typeof utrecht2019, item: Parameters<typeof estimate>[3][number]) => () => estimate(v, 50_000_000, 5, [item]);
    expect(plan(harlingen2020, { blockCode: 'PW-LT2', bonusCodes: ['B-50PLUS', 'B-55PLUS'], hoursPerWeek: 12, days: 365 })).toThrow(expect.objectContaining({ code: 'exclusive-bonuses' }));
    expect(plan(hollandRijnland2023, { blockCode: 'BBL', bonusCodes: ['B-PRO-VSO-STAGE'], hoursPerWeek: 36, days: 365 })).toThrow(expect.objectContaining({ code: 'bonus-not-applicable' }));
    expect(plan(utrecht2019, { blockCode: 'PW', bonusCodes: ['B-PERMANENT'], permanent: true, days: 365 })).toThrow(expect.objectContaining({ code: 'permanent-bonus-via-flag' }));
    expect(plan(utrecht2019, { blockCode: 'PW', bonusCodes: ['B-50PLUS', 'B-50PLUS'], days: 365 })).toThrow(expect.objectContaining({ code: 'duplicate-bonus' }));
    // one age bonus is fine: (3,500,000 + 750,000) x 12/36
    expect(estimate(harlingen2020, 50_000_000, 5, [{ blockCode: 'PW-LT2', bonusCodes: ['B-55PLUS'], hoursPerWeek: 12, days: 365 }]).items[0].valueCents).toBe(1_416_667);
  });

  it('refuses a bonus on its own and an ambiguous duration', () => {
    expect(() => estimate(utrecht2019, 1_000, 5, [{ blockCode: 'B-50PLUS', months: 1 }])).toThrow(expect.objectContaining({ code: 'block-wrong-category' }));
    expect(() => estimate(utrecht2019, 1_000, 5, [{ blockCode: 'PW', months: 1, days: 30 }])).toThrow(expect.objectContaining({ code: 'invalid-plan' }));
  });
});
