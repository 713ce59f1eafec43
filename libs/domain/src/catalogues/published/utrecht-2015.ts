import type { CatalogueVersion } from '../types';

/** Utrecht, the 13-block model (from 2015). Values as published, in euro cents. */
export const utrecht2015: CatalogueVersion = {
  catalogueId: 'utrecht',
  version: '2015',
  authority: 'Gemeente Utrecht',
  validFrom: '2015-01-01',
  replacesVersion: null,
  parameters: {
    fteHours: 36,
    hourlyRateCents: 10_000,
    preStartHireWindowMonths: 12,
    maxCountedMonths: null,
    minHoursPerWeek: null,
    thresholdCents: 10_000_000,
  },
  exclusiveBonusGroups: [],
  source:
    'utrecht.nl, "Bouwblokkenmodel social return" (13-block table) and "Social return berekenen (bouwblokken)"; pianoo.nl, "Opdrachtnemers creatief aan zet bij invulling van social return" (August 2019)',
  note:
    'validFrom 2015-01-01 assumed: the year is published, the day is not. FTE hours 36 as on the current page (an older copy of the same page said 40). SOCIAL is classed as hourly (it accepts hours or an invoice) and may also be recorded as a purchase.',
  blocks: [
    { code: 'PW-LT2', nameNl: 'Participatiewet < 2 jaar', nameEn: 'Social assistance, under 2 years', category: 'employment', valuation: { kind: 'annual', annualCents: 3_000_000 } },
    { code: 'PW-GT2', nameNl: 'Participatiewet > 2 jaar', nameEn: 'Social assistance, over 2 years', category: 'employment', valuation: { kind: 'annual', annualCents: 4_000_000 } },
    { code: 'WW-LT1', nameNl: 'WW < 1 jaar', nameEn: 'Unemployment benefit, under 1 year', category: 'employment', valuation: { kind: 'annual', annualCents: 1_500_000 } },
    { code: 'WW-GT1', nameNl: 'WW > 1 jaar', nameEn: 'Unemployment benefit, over 1 year', category: 'employment', valuation: { kind: 'annual', annualCents: 2_000_000 } },
    { code: 'WIA', nameNl: 'Wia/Wao', nameEn: 'Disability benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 3_000_000 } },
    { code: 'BA', nameNl: 'Doelgroepen banenafspraak', nameEn: 'Jobs-agreement target group', category: 'employment', valuation: { kind: 'annual', annualCents: 3_500_000 } },
    { code: 'WSW', nameNl: 'Wsw-inzet (detachering, diensten)', nameEn: 'Use of a sheltered-employment company', category: 'purchase', valuation: { kind: 'invoice', factorBasisPoints: 10_000 } },
    { code: 'B-PERMANENT', nameNl: 'Vast dienstverband', nameEn: 'Permanent contract (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 1_000_000 }, permanentBonus: true },
    { code: 'B-50PLUS', nameNl: '50+', nameEn: 'Aged 50 or over (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 500_000 } },
    { code: 'BBL', nameNl: 'Bbl-traject', nameEn: 'Work-based vocational track', category: 'employment', valuation: { kind: 'annual', annualCents: 1_500_000 } },
    { code: 'BOL', nameNl: 'Bol-traject', nameEn: 'School-based vocational track', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    {
      code: 'SOCIAL',
      nameNl: 'Maatschappelijke activiteit, hulp aan lokaal initiatief, afname bij sociale onderneming',
      nameEn: 'Social activity, help to a local initiative, purchase from a social enterprise',
      category: 'hourly',
      valuation: { kind: 'invoice-or-hourly', factorBasisPoints: 10_000 },
      note: '100 per employee hour, or invoice excl. VAT (100%)',
    },
    { code: 'NUG', nameNl: 'In dienst nemen van een niet-uitkeringsgerechtigde', nameEn: 'Hiring a jobseeker without benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 } },
  ],
};
