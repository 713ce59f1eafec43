import type { CatalogueVersion } from '../types';

/** Holland Rijnland (Leiden, Leiderdorp, Oegstgeest, Zoeterwoude). Values as published, in euro cents. */
export const hollandRijnland2023: CatalogueVersion = {
  catalogueId: 'holland-rijnland',
  version: '2023',
  authority: 'Holland Rijnland (Leiden, Leiderdorp, Oegstgeest, Zoeterwoude)',
  validFrom: '2023-09-01',
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
  source: 'dzb.nl, "Bouwblokkenmethode" (Holland Rijnland); tenders published from 2023-09-01',
  note:
    'Values per year; FTE basis 36 hours assumed. Hourly rate not published (no hourly block): product default EUR 100 assumed. Pre-start hire window not published: product default 12 months assumed. ACTIVITY is classed under the agreement category (custom social work) but valued at a fixed amount per activity. BOL-STAGE ("op jaarbasis of naar rato") is assumed valued per year without hours.',
  blocks: [
    { code: 'NUG', nameNl: 'Geen uitkering, zonder arbeidsbeperking', nameEn: 'Jobseeker without benefit, without work disability', category: 'employment', valuation: { kind: 'annual', annualCents: 500_000 } },
    { code: 'NUG-AB', nameNl: 'Geen uitkering, met arbeidsbeperking', nameEn: 'Jobseeker without benefit, with work disability', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'BOL-STAGE', nameNl: 'Stage mbo BOL (op jaarbasis of naar rato)', nameEn: 'School-based vocational internship (per year or pro rata)', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 }, valuedWithoutHours: true, note: 'valued per year without hours (assumed)' },
    { code: 'BBL', nameNl: 'Mbo BBL, in dienst', nameEn: 'Work-based vocational track, employed', category: 'employment', valuation: { kind: 'annual', annualCents: 2_500_000 } },
    { code: 'PRO-VSO', nameNl: 'Leerling PrO/VSO, in dienst na uitstroom', nameEn: 'Practical or special secondary education pupil, employed after leaving school', category: 'employment', valuation: { kind: 'annual', annualCents: 2_500_000 } },
    { code: 'B-PRO-VSO-STAGE', nameNl: 'In dienst na stage van minimaal 6 maanden', nameEn: 'Employed after an internship of at least 6 months (bonus on PRO-VSO)', category: 'bonus', valuation: { kind: 'annual', annualCents: 1_000_000 }, appliesTo: ['PRO-VSO'] },
    { code: 'WW', nameNl: 'WW', nameEn: 'Unemployment benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 1_500_000 } },
    { code: 'WIA', nameNl: 'WIA', nameEn: 'Disability benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 4_000_000 } },
    { code: 'WAJONG', nameNl: 'Wajong', nameEn: 'Young-disabled benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 2_500_000 } },
    { code: 'PW', nameNl: 'Participatiewet, zonder arbeidsbeperking', nameEn: 'Social assistance, without work disability', category: 'employment', valuation: { kind: 'annual', annualCents: 3_000_000 } },
    { code: 'PW-AB', nameNl: 'Participatiewet, arbeidsbeperking vastgesteld door UWV', nameEn: 'Social assistance, work disability established by UWV', category: 'employment', valuation: { kind: 'annual', annualCents: 5_000_000 } },
    { code: 'WSW', nameNl: 'Wsw-dienstverband', nameEn: 'Sheltered employment contract', category: 'employment', valuation: { kind: 'annual', annualCents: 5_000_000 } },
    { code: 'ACTIVITY', nameNl: 'Maatschappelijke activiteit', nameEn: 'Social activity', category: 'agreement', valuation: { kind: 'per-activity', amountCents: 100_000, maxPerDay: 1 }, note: '1,000 per activity, at most one a day' },
    { code: 'B-55PLUS', nameNl: '55+', nameEn: 'Aged 55 or over (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 1_500_000 } },
    { code: 'SW-INVOICE', nameNl: 'Diensten of productie door een SW-bedrijf', nameEn: 'Services or production by a sheltered workshop', category: 'purchase', valuation: { kind: 'invoice', factorBasisPoints: 10_000 } },
  ],
};
