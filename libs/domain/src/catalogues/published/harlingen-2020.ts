import type { CatalogueVersion } from '../types';

/** Harlingen. Values as published, in euro cents. English names are translations of the Dutch ones. */
export const harlingen2020: CatalogueVersion = {
  catalogueId: 'harlingen',
  version: '2020',
  authority: 'Gemeente Harlingen',
  validFrom: '2020-01-01',
  replacesVersion: null,
  parameters: {
    fteHours: 36,
    hourlyRateCents: 10_000,
    preStartHireWindowMonths: 12,
    maxCountedMonths: null,
    minHoursPerWeek: 12,
    thresholdCents: null,
  },
  exclusiveBonusGroups: [['B-50PLUS', 'B-55PLUS']],
  source: 'harlingen.nl, "Vormen van invulling social return"',
  note:
    'Date not published: validFrom 2020-01-01 assumed. At least 12 hours a week per person. The two age bonuses exclude each other. Hourly rate (no hourly block) and pre-start window not published: product defaults (EUR 100, 12 months) assumed. SW-LABOUR and TRAINING (actual costs) are classed as purchases valued on invoice at 100% (assumed).',
  blocks: [
    { code: 'PW-LT2', nameNl: 'Participatiewet < 2 jaar', nameEn: 'Social assistance, under 2 years', category: 'employment', valuation: { kind: 'annual', annualCents: 3_500_000 } },
    { code: 'PW-GT2', nameNl: 'Participatiewet > 2 jaar', nameEn: 'Social assistance, over 2 years', category: 'employment', valuation: { kind: 'annual', annualCents: 4_000_000 } },
    { code: 'WW-LT1', nameNl: 'WW > 3 maanden – 1 jaar', nameEn: 'Unemployment benefit, 3 months to 1 year', category: 'employment', valuation: { kind: 'annual', annualCents: 1_500_000 } },
    { code: 'WW-GT1', nameNl: 'WW > 1 jaar', nameEn: 'Unemployment benefit, over 1 year', category: 'employment', valuation: { kind: 'annual', annualCents: 2_000_000 } },
    { code: 'WIA', nameNl: 'WIA / WAO', nameEn: 'Disability benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 3_500_000 } },
    { code: 'BA', nameNl: 'Wajong / banenafspraak', nameEn: 'Young-disabled benefit or jobs agreement', category: 'employment', valuation: { kind: 'annual', annualCents: 4_000_000 } },
    { code: 'B-50PLUS', nameNl: '50+', nameEn: 'Aged 50 or over (bonus; excludes B-55PLUS)', category: 'bonus', valuation: { kind: 'annual', annualCents: 500_000 } },
    { code: 'B-55PLUS', nameNl: '55+', nameEn: 'Aged 55 or over (bonus; excludes B-50PLUS)', category: 'bonus', valuation: { kind: 'annual', annualCents: 750_000 } },
    { code: 'WEP', nameNl: 'Werkervaringsplaats', nameEn: 'Work-experience placement', category: 'employment', valuation: { kind: 'annual', annualCents: 750_000 } },
    { code: 'BBL-NEW', nameNl: 'BBL, nieuw contract', nameEn: 'Work-based vocational track, new contract', category: 'employment', valuation: { kind: 'annual', annualCents: 1_500_000 } },
    { code: 'BBL-EXISTING', nameNl: 'BBL, bestaand contract', nameEn: 'Work-based vocational track, existing contract', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'STAGE-LOW', nameNl: 'Stage mbo 1-2 of met uitkeringsachtergrond', nameEn: 'Internship, vocational levels 1-2 or with a benefit background', category: 'employment', valuation: { kind: 'annual', annualCents: 500_000 } },
    { code: 'STAGE-HIGH', nameNl: 'Stage mbo 3-4 en hbo', nameEn: 'Internship, vocational levels 3-4 and higher professional', category: 'employment', valuation: { kind: 'annual', annualCents: 250_000 } },
    { code: 'SW-LABOUR', nameNl: 'Onderaanneming via sociale werkvoorziening', nameEn: 'Subcontracting through a sheltered workshop', category: 'purchase', valuation: { kind: 'invoice', factorBasisPoints: 10_000 }, note: 'actual labour costs (invoice)' },
    { code: 'TRAINING', nameNl: 'Opleidingskosten', nameEn: 'Training costs', category: 'purchase', valuation: { kind: 'invoice', factorBasisPoints: 10_000 }, note: 'actual costs (invoice); category purchase assumed' },
  ],
};
