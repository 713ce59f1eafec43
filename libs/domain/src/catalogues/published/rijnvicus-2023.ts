import type { CatalogueVersion } from '../types';

/** Rijnvicus: the Holland Rijnland structure with other values. Values as published, in euro cents. */
export const rijnvicus2023: CatalogueVersion = {
  catalogueId: 'rijnvicus',
  version: '2023',
  authority: 'Rijnvicus',
  validFrom: '2023-01-01',
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
  source: 'rijnvicus.nl, "SROI bouwblokkenmethode"',
  note:
    'Date not published: validFrom 2023-01-01 assumed. Same structure as Holland Rijnland: Dutch names, FTE basis (36 assumed), hourly rate (EUR 100 assumed, no hourly block) and pre-start window (12 months assumed) taken from there; the PW-LT2/PW-GT2 names are assumed. SW-INVOICE factor 100% assumed (published as "invoice excl. VAT"). BOL-STAGE assumed valued per year without hours.',
  blocks: [
    { code: 'NUG', nameNl: 'Geen uitkering, zonder arbeidsbeperking', nameEn: 'Jobseeker without benefit, without work disability', category: 'employment', valuation: { kind: 'annual', annualCents: 500_000 } },
    { code: 'NUG-AB', nameNl: 'Geen uitkering, met arbeidsbeperking', nameEn: 'Jobseeker without benefit, with work disability', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'BOL-STAGE', nameNl: 'Stage mbo BOL', nameEn: 'School-based vocational internship', category: 'employment', valuation: { kind: 'annual', annualCents: 500_000 }, valuedWithoutHours: true, note: 'valued per year without hours (assumed)' },
    { code: 'BBL', nameNl: 'Mbo BBL, in dienst', nameEn: 'Work-based vocational track, employed', category: 'employment', valuation: { kind: 'annual', annualCents: 2_500_000 } },
    { code: 'PRO-VSO', nameNl: 'Leerling PrO/VSO, in dienst na uitstroom', nameEn: 'Practical or special secondary education pupil, employed after leaving school', category: 'employment', valuation: { kind: 'annual', annualCents: 2_500_000 } },
    { code: 'WW', nameNl: 'WW', nameEn: 'Unemployment benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'WIA', nameNl: 'WIA', nameEn: 'Disability benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 2_000_000 } },
    { code: 'WAJONG', nameNl: 'Wajong', nameEn: 'Young-disabled benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 2_500_000 } },
    { code: 'PW-LT2', nameNl: 'Participatiewet < 2 jaar', nameEn: 'Social assistance, under 2 years', category: 'employment', valuation: { kind: 'annual', annualCents: 2_500_000 } },
    { code: 'PW-GT2', nameNl: 'Participatiewet > 2 jaar', nameEn: 'Social assistance, over 2 years', category: 'employment', valuation: { kind: 'annual', annualCents: 3_000_000 } },
    { code: 'PW-AB', nameNl: 'Participatiewet, arbeidsbeperking vastgesteld door UWV', nameEn: 'Social assistance, work disability established by UWV', category: 'employment', valuation: { kind: 'annual', annualCents: 5_000_000 } },
    { code: 'WSW', nameNl: 'Wsw-dienstverband', nameEn: 'Sheltered employment contract', category: 'employment', valuation: { kind: 'annual', annualCents: 5_000_000 } },
    { code: 'ACTIVITY', nameNl: 'Maatschappelijke activiteit', nameEn: 'Social activity', category: 'agreement', valuation: { kind: 'per-activity', amountCents: 100_000, maxPerDay: 1 }, note: '1,000 per activity, at most one a day' },
    { code: 'B-55PLUS', nameNl: '55+', nameEn: 'Aged 55 or over (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'SW-INVOICE', nameNl: 'Diensten of productie door een SW-bedrijf', nameEn: 'Services or production by a sheltered workshop', category: 'purchase', valuation: { kind: 'invoice', factorBasisPoints: 10_000 } },
  ],
};
