import type { CatalogueVersion } from '../types';

/** Utrecht, the simplified model (announced for autumn 2019). Values as published, in euro cents. */
export const utrecht2019: CatalogueVersion = {
  catalogueId: 'utrecht',
  version: '2019',
  authority: 'Gemeente Utrecht',
  validFrom: '2019-10-01',
  replacesVersion: '2015',
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
    'utrecht.nl, "Bouwblokkenmodel social return" (simplified table) and "Social return berekenen (bouwblokken)"; pianoo.nl (August 2019: new version announced for autumn 2019)',
  note:
    'validFrom 2019-10-01 assumed: "autumn 2019" is published, the day is not. Parameters as 2015. 2015 SOCIAL has no default mapping (it split into SOCIAL-PURCHASE, INITIATIVE and KNOWLEDGE): an advisor chooses per contract.',
  blocks: [
    { code: 'PW', nameNl: 'Participatiewet', nameEn: 'Social assistance', category: 'employment', valuation: { kind: 'annual', annualCents: 4_000_000 }, replaces: ['PW-LT2', 'PW-GT2'] },
    { code: 'BA', nameNl: 'Doelgroep banenafspraak', nameEn: 'Jobs-agreement target group (UWV register)', category: 'employment', valuation: { kind: 'annual', annualCents: 5_000_000 }, replaces: ['BA'] },
    {
      code: 'PRO-VSO',
      nameNl: 'Praktijkleerplaats praktijk-/voortgezet speciaal onderwijs, werkplek entree-opleiding',
      nameEn: 'Work-learning place, practical or special secondary education, entry course',
      category: 'employment',
      valuation: { kind: 'annual', annualCents: 3_500_000 },
    },
    { code: 'WIA', nameNl: 'WIA/WAO', nameEn: 'Disability benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 4_000_000 }, replaces: ['WIA'] },
    { code: 'WW', nameNl: 'WW', nameEn: 'Unemployment benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 2_000_000 }, replaces: ['WW-LT1', 'WW-GT1'] },
    { code: 'BBL', nameNl: 'Mbo bbl niveau 2, 3 en 4', nameEn: 'Work-based vocational track, levels 2-4', category: 'employment', valuation: { kind: 'annual', annualCents: 3_500_000 }, replaces: ['BBL'] },
    { code: 'BOL', nameNl: 'Mbo bol niveau 2, 3 en 4', nameEn: 'School-based vocational track, levels 2-4', category: 'employment', valuation: { kind: 'annual', annualCents: 2_000_000 }, replaces: ['BOL'] },
    { code: 'NUG', nameNl: 'Niet-uitkeringsgerechtigde (werkloos werkzoekende)', nameEn: 'Jobseeker without benefit', category: 'employment', valuation: { kind: 'annual', annualCents: 1_000_000 }, replaces: ['NUG'] },
    { code: 'B-50PLUS', nameNl: 'Werkzoekenden ouder dan 50 jaar', nameEn: 'Jobseeker over 50 (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 1_000_000 }, replaces: ['B-50PLUS'] },
    { code: 'B-STATUS', nameNl: 'Statushouders en personen met een taalachterstand', nameEn: 'Refugee with permit or language deficit (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 1_000_000 } },
    { code: 'B-PERMANENT', nameNl: 'Aanbieden vast dienstverband', nameEn: 'Permanent contract (bonus)', category: 'bonus', valuation: { kind: 'annual', annualCents: 1_000_000 }, permanentBonus: true, replaces: ['B-PERMANENT'] },
    {
      code: 'SOCIAL-PURCHASE',
      nameNl: 'Inkopen bij sociaal ondernemers en/of sociale werkvoorzieningen',
      nameEn: 'Purchase from social enterprises or sheltered workshops',
      category: 'purchase',
      valuation: { kind: 'invoice', factorBasisPoints: 10_000 },
      replaces: ['WSW'],
      note: 'invoice excl. VAT, 100% (agreed with the advisor)',
    },
    { code: 'INITIATIVE', nameNl: 'Hulp, steun of kennis bieden aan een sociaal initiatief', nameEn: 'Help, support or knowledge for a social initiative', category: 'hourly', valuation: { kind: 'hourly' }, note: '100 per employee hour' },
    {
      code: 'KNOWLEDGE',
      nameNl: 'Delen van kennis, expertise en/of middelen met de doelgroep',
      nameEn: 'Sharing knowledge, expertise or means with the target group',
      category: 'hourly',
      valuation: { kind: 'invoice-or-hourly', factorBasisPoints: 10_000 },
      note: 'invoice excl. VAT, or 100 per employee hour',
    },
    { code: 'MOBILITY', nameNl: 'Mobiliteit van de doelgroep', nameEn: 'Mobility of the target group', category: 'agreement', valuation: { kind: 'agreement' } },
    { code: 'DEVELOPMENT', nameNl: 'Ontwikkeltrajecten voor de doelgroep', nameEn: 'Development trajectories for the target group', category: 'agreement', valuation: { kind: 'agreement' } },
  ],
};
