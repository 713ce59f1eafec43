import type { CatalogueVersion } from '../types';

/** Haaglanden (Den Haag and ten other municipalities). Values as published, in euro cents. */
export const haaglanden2023: CatalogueVersion = {
  catalogueId: 'haaglanden',
  version: '2023',
  authority:
    'Haaglanden (Delft, Den Haag, Lansingerland, Leidschendam-Voorburg, Midden-Delfland, Pijnacker-Nootdorp, Rijswijk, Voorschoten, Wassenaar, Westland, Zoetermeer)',
  validFrom: '2023-07-01',
  replacesVersion: null,
  parameters: {
    fteHours: 36,
    hourlyRateCents: 10_000,
    preStartHireWindowMonths: 12,
    maxCountedMonths: 12,
    minHoursPerWeek: null,
    thresholdCents: null,
  },
  exclusiveBonusGroups: [],
  source: 'denhaag.nl, "Social return bouwblokken" (Haaglanden); contracts from 2023-07-01',
  note:
    'Maximum counted period 12 months per placement, except WIA, STAGE-PRO-VSO and PW (24 months), BBL-2 (24), BBL-3 (36) and BA (no maximum). Hourly rate not published (no hourly block): product default EUR 100 assumed. Threshold (about EUR 215,000 in Den Haag) not in the table. B-TRAINING is a bonus valued on actual costs: it is recorded as an activity with its costs.',
  blocks: [
    { code: 'NUG', nameNl: 'Werkzoekende zonder uitkering', nameEn: 'Jobseeker without benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 500_000 } },
    { code: 'NUG-YOUTH', nameNl: 'Jongere zonder startkwalificatie', nameEn: 'Young person without basic qualification', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'STAGE-MBO-HBO', nameNl: 'Stagiair mbo/hbo', nameEn: 'Intern, vocational or higher professional education', category: 'employment', valuation: { kind: 'annual', annualCents: 500_000 } },
    { code: 'STAGE-PRO-VSO', nameNl: 'Stagiair vso/PrO', nameEn: 'Intern, special or practical secondary education', category: 'employment', valuation: { kind: 'annual', annualCents: 750_000 }, maxCountedMonths: 24 },
    { code: 'BBL-2', nameNl: 'Leerwerkbaan mbo BBL tot niveau 2', nameEn: 'Work-based vocational job up to level 2', category: 'employment', valuation: { kind: 'annual', annualCents: 2_500_000 }, maxCountedMonths: 24 },
    { code: 'BBL-3', nameNl: 'Leerwerkbaan mbo BBL niveau 3 en hoger', nameEn: 'Work-based vocational job, level 3 and up', category: 'employment', valuation: { kind: 'annual', annualCents: 1_500_000 }, maxCountedMonths: 36 },
    { code: 'WW', nameNl: 'WW', nameEn: 'Unemployment benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 2_000_000 } },
    { code: 'WIA', nameNl: 'WIA', nameEn: 'Disability benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 3_000_000 }, maxCountedMonths: 24 },
    { code: 'PW', nameNl: 'Participatiewet', nameEn: 'Social assistance', category: 'employment', valuation: { kind: 'annual', annualCents: 4_000_000 }, maxCountedMonths: 24 },
    { code: 'BA', nameNl: 'Banenafspraak (ook Wajong, Wsw, doelgroepregister)', nameEn: 'Jobs agreement (also Wajong, sheltered employment, target-group register)', category: 'employment', valuation: { kind: 'annual', annualCents: 5_000_000 }, maxCountedMonths: null },
    { code: 'B-55PLUS', nameNl: '55+', nameEn: 'Aged 55 or over (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'B-TRAINING', nameNl: 'Opleidings- en begeleidingskosten', nameEn: 'Training and supervision costs (bonus)', category: 'bonus', valuation: { kind: 'invoice', factorBasisPoints: 10_000 }, note: 'actual costs (invoice excl. VAT), factor 100% assumed' },
    { code: 'B-PRO-VSO-HIRE', nameNl: 'In dienst na stage vso/PrO van minimaal 6 maanden', nameEn: 'Employed after a special/practical secondary education internship of at least 6 months (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 2_500_000 } },
    { code: 'B-DISABILITY', nameNl: 'Dienstverband met arbeidsbeperking, ook IPS', nameEn: 'Employment with a work disability, including IPS (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 1_000_000 } },
  ],
};
