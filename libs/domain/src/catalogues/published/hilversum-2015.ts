import type { CatalogueVersion } from '../types';

/** Hilversum. Values as published, in euro cents. English names are translations of the Dutch ones. */
export const hilversum2015: CatalogueVersion = {
  catalogueId: 'hilversum',
  version: '2015',
  authority: 'Gemeente Hilversum',
  validFrom: '2015-01-01',
  replacesVersion: null,
  parameters: {
    fteHours: 36,
    hourlyRateCents: 10_000,
    preStartHireWindowMonths: 12,
    maxCountedMonths: null,
    minHoursPerWeek: null,
    thresholdCents: null,
  },
  exclusiveBonusGroups: [],
  source: 'hilversum.nl, "Social Return On Investment"',
  note:
    'Date not published: validFrom 2015-01-01 assumed. FTE basis "jaarcontract fulltime": 36 hours assumed. Pre-start hire window not published: the product default of 12 months assumed. Threshold not published.',
  blocks: [
    { code: 'BIJ-LT2', nameNl: 'Bijstand < 2 jaar', nameEn: 'Social assistance, under 2 years', category: 'employment', valuation: { kind: 'annual', annualCents: 3_000_000 } },
    { code: 'BIJ-GT2', nameNl: 'Bijstand > 2 jaar', nameEn: 'Social assistance, over 2 years', category: 'employment', valuation: { kind: 'annual', annualCents: 4_000_000 } },
    { code: 'WW-LT1', nameNl: 'WW < 1 jaar', nameEn: 'Unemployment benefit, under 1 year', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'WW-GT1', nameNl: 'WW > 1 jaar', nameEn: 'Unemployment benefit, over 1 year', category: 'employment', valuation: { kind: 'annual', annualCents: 1_500_000 } },
    { code: 'WIA', nameNl: 'WIA / WAO', nameEn: 'Disability benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 3_000_000 } },
    { code: 'WAJONG', nameNl: 'Wajong', nameEn: 'Young-disabled benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 3_500_000 } },
    { code: 'B-55PLUS', nameNl: '55+', nameEn: 'Aged 55 or over (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 500_000 } },
    { code: 'BBL', nameNl: 'BBL traject', nameEn: 'Work-based vocational track', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'BOL', nameNl: 'BOL traject', nameEn: 'School-based vocational track', category: 'employment', valuation: { kind: 'annual', annualCents: 500_000 } },
    { code: 'WSW', nameNl: 'WSW inzet', nameEn: 'Use of a sheltered-employment company', category: 'purchase', valuation: { kind: 'invoice', factorBasisPoints: 10_000 } },
    { code: 'MVO', nameNl: 'MVO activiteiten', nameEn: 'Corporate social responsibility activities', category: 'hourly', valuation: { kind: 'hourly' }, note: '100 per employee hour' },
  ],
};
