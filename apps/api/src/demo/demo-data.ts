/**
 * The demo data set: a few Utrecht contracts, loaded into an empty store unless SROI_DEMO=off.
 * Companies and KvK numbers are invented (the 9000xxxx range); Reinaerde is the real social
 * enterprise of the Utrecht region (no KvK number given: we do not guess it).
 */
import { DEMO_CONTRACTOR_KVK, DEMO_MUNICIPALITY } from '../auth/tokens';
import { uuidv5 } from '../platform/ids';

export type DemoStep =
  | { kind: 'hire'; id: string; candidateRef: string; blockCode: string; bonusCodes?: string[]; startDate: string; endDate?: string | null; hoursPerWeek: number; permanent: boolean }
  | { kind: 'purchase'; id: string; supplier: { name: string; kvk?: string }; invoiceReference: string; amountExclVatCents: number; date: string; blockCode: string }
  | { kind: 'knowledge'; id: string; description: string; date: string; blockCode: string; hours: number }
  | { kind: 'verify'; id: string; note: string }
  | { kind: 'migrate'; catalogue: { id: string; version: string }; effectiveDate: string; blockMapping?: Record<string, string>; reason: string };

export interface DemoContract {
  slug: string;
  contractId: string;
  title: string;
  tenderReference: string;
  contractor: { kvk: string; name: string };
  contractValueCents: number;
  sroiPercentage: number;
  startDate: string;
  endDate: string;
  catalogue: { id: string; version: string };
  steps: DemoStep[];
}

const id = (s: string) => uuidv5(`demo:${s}`);

export const DEMO_CONTRACTS: DemoContract[] = [
  {
    slug: 'law-firm-christmas-market',
    contractId: id('law-firm-christmas-market'),
    title: 'Juridisch advies sociaal domein 2025-2027 (kerstmarkt met Reinaerde)',
    tenderReference: 'UTR-2025-0117',
    contractor: { kvk: DEMO_CONTRACTOR_KVK, name: 'Van Lier & Roos Advocaten' },
    contractValueCents: 24_000_000,
    sroiPercentage: 5,
    startDate: '2025-09-01',
    endDate: '2027-08-31',
    catalogue: { id: 'utrecht', version: '2019' },
    steps: [
      {
        kind: 'purchase',
        id: id('law-firm-christmas-market/reinaerde'),
        supplier: { name: 'Reinaerde' },
        invoiceReference: 'REI-KERST-2025-0412',
        amountExclVatCents: 850_000,
        date: '2025-12-12',
        blockCode: 'SOCIAL-PURCHASE',
      },
      { kind: 'verify', id: id('law-firm-christmas-market/reinaerde'), note: 'invoice of the Christmas market seen' },
      { kind: 'knowledge', id: id('law-firm-christmas-market/clinic'), description: 'Free legal clinic for jobseekers', date: '2026-02-10', blockCode: 'KNOWLEDGE', hours: 12 },
    ],
  },
  {
    slug: 'street-lighting',
    contractId: id('street-lighting'),
    title: 'Onderhoud openbare verlichting 2023-2025',
    tenderReference: 'UTR-2022-0981',
    contractor: { kvk: '90000025', name: 'Lichtwerk Utrecht B.V.' },
    contractValueCents: 100_000_000,
    sroiPercentage: 5,
    startDate: '2023-01-01',
    endDate: '2025-12-31',
    catalogue: { id: 'utrecht', version: '2019' },
    steps: [
      { kind: 'hire', id: id('street-lighting/pw'), candidateRef: 'LW-CAND-001', blockCode: 'PW', startDate: '2023-01-01', endDate: '2023-06-30', hoursPerWeek: 24, permanent: false },
      { kind: 'verify', id: id('street-lighting/pw'), note: 'employment contract and municipal statement seen' },
      { kind: 'hire', id: id('street-lighting/ba'), candidateRef: 'LW-CAND-002', blockCode: 'BA', startDate: '2023-03-01', endDate: null, hoursPerWeek: 32, permanent: true },
    ],
  },
  {
    slug: 'office-cleaning',
    contractId: id('office-cleaning'),
    title: 'Schoonmaak Stadskantoor 2019-2021',
    tenderReference: 'UTR-2018-0455',
    contractor: { kvk: '90000033', name: 'Schoon & Co Utrecht B.V.' },
    contractValueCents: 40_000_000,
    sroiPercentage: 5,
    startDate: '2019-01-01',
    endDate: '2021-12-31',
    catalogue: { id: 'utrecht', version: '2015' },
    steps: [
      { kind: 'hire', id: id('office-cleaning/ww'), candidateRef: 'SC-CAND-017', blockCode: 'WW-GT1', startDate: '2019-02-01', endDate: null, hoursPerWeek: 30, permanent: false },
      { kind: 'purchase', id: id('office-cleaning/social'), supplier: { name: 'Reinaerde' }, invoiceReference: 'REI-2019-0077', amountExclVatCents: 300_000, date: '2019-06-14', blockCode: 'SOCIAL' },
      { kind: 'migrate', catalogue: { id: 'utrecht', version: '2019' }, effectiveDate: '2019-10-01', blockMapping: { SOCIAL: 'SOCIAL-PURCHASE' }, reason: 'moved to the simplified model by agreement' },
    ],
  },
];

export { DEMO_MUNICIPALITY };
