import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createHash } from 'node:crypto';
import { shippedCatalogueEvents, utrecht2015, utrecht2019, type ContractCommand } from '@sroi/domain';
import { amsterdamDateOf } from './amsterdam-date';
import type { PublicEvent } from './events';
import { createMapperState, mapContractEvent, mapContractStream, mapperStateAfter, withContract, type MapperOptions, type SourceEvent } from './mapper';
import { PUBLIC_EVENT_SCHEMAS } from './schemas';
import { registerCommand, StreamBuilder } from './testing/fixtures';
import { types } from './testing/support';

// ---- as the app does it: UUIDv5 ids, the Amsterdam date, every envelope checked against its schema

const NAMESPACE = Buffer.from('6f0b8e4c1d2a4b3c9e8f7a6b5c4d3e2f', 'hex');
function uuidv5(name: string): string {
  const h = createHash('sha1').update(NAMESPACE).update(name).digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
const OPTS: MapperOptions = { idFor: (id, i) => uuidv5(`${id}#${i}`), dateOf: amsterdamDateOf };

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validators = Object.fromEntries(Object.entries(PUBLIC_EVENT_SCHEMAS).map(([t, s]) => [t, ajv.compile(s)]));
function assertValid(events: readonly PublicEvent[]): void {
  for (const e of events) {
    const v = validators[e.type];
    if (!v(e)) throw new Error(`${String((e as { type: unknown }).type)} does not match its schema: ${ajv.errorsText(v.errors)}\n${JSON.stringify(e, null, 2)}`);
  }
}

/** given(steps).when(command, at): the public events of the command's internal event(s), validated. */
function given(...steps: [ContractCommand, string][]) {
  const b = new StreamBuilder();
  for (const [c, at] of steps) b.record(c, at);
  return {
    builder: b,
    when(command: ContractCommand, at: string): PublicEvent[] {
      const before = mapContractStream(b.sources, OPTS);
      assertValid(before.events);
      const added = b.record(command, at);
      const { events } = mapContractStream(added, OPTS, before.state);
      assertValid(events);
      return events;
    },
  };
}

const REGISTERED: [ContractCommand, string] = [registerCommand(), '2022-12-15T09:00:00Z'];
const hire = (over: Record<string, unknown> = {}): ContractCommand =>
  ({ type: 'RecordHire', data: { placementId: 'p-1', candidateRef: 'cand-7f3a', blockCode: 'PW', bonusCodes: [], startDate: '2023-01-01', hoursPerWeek: 36, permanent: false, ...over } }) as ContractCommand;
const purchase = (over: Record<string, unknown> = {}): ContractCommand =>
  ({
    type: 'RecordPurchase',
    data: { contributionId: 'k-1', supplier: { name: 'Sociale Onderneming BV', kvk: '87654321' }, invoiceReference: 'F-2023-001', amountExclVatCents: 500_000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE', ...over },
  }) as ContractCommand;
const mobility = (over: Record<string, unknown> = {}): ContractCommand =>
  ({ type: 'RecordActivity', data: { contributionId: 'a-1', description: 'Busvervoer doelgroep', date: '2023-04-01', blockCode: 'MOBILITY', ...over } }) as ContractCommand;
const verify = (id: string, verdict: 'verified' | 'rejected', note = 'bewijs gezien'): ContractCommand => ({ type: 'RecordVerification', data: { contributionId: id, verdict, note } });

const PW = { code: 'PW', category: 'employment', nameNl: 'Participatiewet', nameEn: 'Social assistance' };
const U2019 = { id: 'utrecht', version: '2019' };
const ENVELOPE = {
  schemaVersion: 1,
  contractId: 'c-1',
  municipality: 'Utrecht',
  contractor: { kvk: '12345678', name: 'Bouwbedrijf De Vries B.V.' },
};

describe('ContractRegistered', () => {
  const b = new StreamBuilder();
  const [source] = b.record(registerCommand({ sroiPercentage: '2.5' }), '2022-12-15T09:00:00Z');
  const { events } = mapContractEvent(undefined, source, OPTS);

  it('yields contract.registered, then the first obligation status (from null)', () => {
    assertValid(events);
    expect(events).toEqual([
      {
        id: uuidv5('c-1/0#0'),
        type: 'contract.registered',
        ...ENVELOPE,
        sourcePosition: '100',
        occurredAt: '2022-12-15T09:00:00Z',
        data: {
          title: 'Onderhoud openbare ruimte',
          tenderReference: 'UTR-2022-041',
          contractValueCents: 100_000_000,
          sroiPercentage: '2.5',
          sroiBasisPoints: 250,
          obligationCents: 2_500_000,
          startDate: '2023-01-01',
          endDate: '2024-12-31',
          catalogue: U2019,
        },
      },
      {
        id: uuidv5('c-1/0#1'),
        type: 'obligation.status-changed',
        ...ENVELOPE,
        sourcePosition: '100',
        occurredAt: '2022-12-15T09:00:00Z',
        data: {
          from: null,
          to: 'on-track',
          asOf: '2022-12-15',
          figures: { contractValueCents: 100_000_000, obligationCents: 2_500_000, realisedCents: 0, committedCents: 0, verifiedCents: 0, awaitingAgreement: 0, elapsedDays: 0, contractDays: 731 },
        },
      },
    ]);
  });

  it('asks idFor for the source id and the index of each public event', () => {
    const calls: [string, number][] = [];
    mapContractEvent(undefined, source, { ...OPTS, idFor: (id, i) => (calls.push([id, i]), uuidv5(`${id}#${i}`)) });
    expect(calls).toEqual([
      ['c-1/0', 0],
      ['c-1/0', 1],
    ]);
  });

  it('does not copy the catalogue table, only its reference', () => {
    expect(JSON.stringify(events)).not.toContain('"source"');
    expect(JSON.stringify(events)).not.toContain('"blocks"');
    expect(JSON.stringify(events)).not.toContain('"parameters"');
  });
});

describe('contract changes', () => {
  it('ContractValueChanged → contract.changed (value) with the new obligation', () => {
    const events = given(REGISTERED).when({ type: 'ChangeContractValue', data: { contractValueCents: 120_000_000, effectiveDate: '2023-07-01', reason: 'meerwerk' } }, '2023-06-01T10:00:00Z');
    expect(events).toEqual([
      expect.objectContaining({
        type: 'contract.changed',
        sourcePosition: '107',
        data: { change: 'value', effectiveDate: '2023-07-01', contractValueCents: 120_000_000, previousValueCents: 100_000_000, obligationCents: 6_000_000 },
      }),
      // nothing realised by 2023-06-01: behind (the status follows the value in force on asOf)
      expect.objectContaining({ type: 'obligation.status-changed', data: expect.objectContaining({ from: 'on-track', to: 'behind', asOf: '2023-06-01' }) }),
    ]);
  });

  it('ContractPeriodChanged → contract.changed (period)', () => {
    const events = given(REGISTERED).when({ type: 'ChangeContractPeriod', data: { endDate: '2025-06-30', reason: 'verlenging' } }, '2022-12-20T10:00:00Z');
    expect(events.map((e) => e.data)).toEqual([{ change: 'period', endDate: '2025-06-30', previousEndDate: '2024-12-31' }]);
  });

  it('ContractCatalogueMigrated → contract.changed (catalogue-migrated) with the mapping applied, keys sorted', () => {
    const g = given([registerCommand({ startDate: '2019-01-01', endDate: '2020-12-31', explicitVersion: true }, utrecht2015), '2018-12-01T09:00:00Z']);
    const events = g.when({ type: 'MigrateCatalogue', data: { catalogue: utrecht2019, effectiveDate: '2019-10-01', blockMapping: { SOCIAL: 'KNOWLEDGE' }, reason: 'nieuwe catalogus' } }, '2018-12-02T09:00:00Z');
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe('contract.changed');
    const data = events[0].data as { blockMapping: Record<string, string> };
    expect(data).toMatchObject({ change: 'catalogue-migrated', effectiveDate: '2019-10-01', from: { id: 'utrecht', version: '2015' }, to: U2019 });
    expect(data.blockMapping['SOCIAL']).toBe('KNOWLEDGE');
    expect(data.blockMapping['PW-LT2']).toBe('PW');
    expect(Object.keys(data.blockMapping)).toEqual([...Object.keys(data.blockMapping)].sort());
  });

  it('ContractClosed → contract.changed (closed), without the reason', () => {
    const events = given(REGISTERED).when({ type: 'CloseContract', data: { reason: 'Eindrapportage afgerond door J. Jansen' } }, '2022-12-20T10:00:00Z');
    expect(events.map((e) => [e.type, e.data])).toEqual([['contract.changed', { change: 'closed' }]]);
    expect(JSON.stringify(events)).not.toContain('Jansen');
  });
});

describe('contribution.recorded', () => {
  it('HireRecorded: the hire with its block and valuation (RULES worked example: 13,223.74)', () => {
    const events = given(REGISTERED).when(hire({ hoursPerWeek: 24, endDate: '2023-06-30', bonusCodes: [] }), '2023-07-15T10:00:00Z');
    expect(events[0]).toEqual({
      id: uuidv5('c-1/1#0'),
      type: 'contribution.recorded',
      ...ENVELOPE,
      sourcePosition: '107',
      occurredAt: '2023-07-15T10:00:00Z',
      data: {
        contributionId: 'p-1',
        kind: 'hire',
        catalogue: U2019,
        block: PW,
        candidateRef: 'cand-7f3a',
        bonusCodes: [],
        startDate: '2023-01-01',
        endDate: '2023-06-30',
        hoursPerWeek: 24,
        permanent: false,
        valuation: { asOf: '2023-07-15', realisedCents: 1_322_374, committedCents: 1_322_374, atContractEndCents: 1_322_374, awaitingAgreement: false },
      },
    });
    // 1,322,374 < 5,000,000 × 196 / 731 on 2023-07-15
    expect(events[1]).toMatchObject({ type: 'obligation.status-changed', data: { from: 'on-track', to: 'behind', asOf: '2023-07-15', figures: { realisedCents: 1_322_374, elapsedDays: 196 } } });
  });

  it('an open-ended hire: realised to asOf, committed and atContractEnd to the contract end', () => {
    const events = given(REGISTERED).when(hire({ bonusCodes: ['B-50PLUS'] }), '2023-01-01T08:00:00Z');
    // (40,000 + 10,000) EUR a year, full time: 1 day realised, 731 days (2024 is a leap year) to the end
    expect(events.map((e) => e.type)).toEqual(['contribution.recorded']);
    expect(events[0].data).toMatchObject({ bonusCodes: ['B-50PLUS'], endDate: null, valuation: { asOf: '2023-01-01', realisedCents: 13_699, committedCents: 10_013_699, atContractEndCents: 10_013_699 } });
  });

  it('a hire that starts later: committed 0 on asOf (RULES 7), atContractEnd its planned value', () => {
    const [e] = given(REGISTERED).when(hire({ startDate: '2024-01-01', endDate: '2024-12-31' }), '2023-01-10T08:00:00Z');
    expect(e.data).toMatchObject({ valuation: { realisedCents: 0, committedCents: 0, atContractEndCents: 4_010_959 } });
  });

  it('PurchaseRecorded: supplier, invoice and amount; a purchase dated later counts at the end only', () => {
    const [now] = given(REGISTERED).when(purchase(), '2023-03-02T08:00:00Z');
    expect(now.data).toEqual({
      contributionId: 'k-1',
      kind: 'purchase',
      catalogue: U2019,
      block: { code: 'SOCIAL-PURCHASE', category: 'purchase', nameNl: expect.any(String), nameEn: expect.any(String) },
      date: '2023-03-01',
      supplier: { name: 'Sociale Onderneming BV', kvk: '87654321' },
      invoiceReference: 'F-2023-001',
      amountExclVatCents: 500_000,
      valuation: { asOf: '2023-03-02', realisedCents: 500_000, committedCents: 500_000, atContractEndCents: 500_000, awaitingAgreement: false },
    });
    const [later] = given(REGISTERED).when(purchase({ supplier: { name: 'Werkbedrijf' }, date: '2023-05-01' }), '2023-03-02T08:00:00Z');
    expect(later.data).toMatchObject({ supplier: { name: 'Werkbedrijf', kvk: null }, valuation: { realisedCents: 0, committedCents: 0, atContractEndCents: 500_000 } });
  });

  it('KnowledgeSharingRecorded: hours × the hourly rate, without the description', () => {
    const [e] = given(REGISTERED).when(
      { type: 'RecordKnowledgeSharing', data: { contributionId: 'ks-1', description: 'Gastles door Piet Pietersen', date: '2023-02-01', blockCode: 'INITIATIVE', hours: 7.5 } },
      '2023-02-03T08:00:00Z',
    );
    expect(e.data).toEqual({
      contributionId: 'ks-1',
      kind: 'knowledge-sharing',
      catalogue: U2019,
      block: expect.objectContaining({ code: 'INITIATIVE', category: 'hourly' }),
      date: '2023-02-01',
      hours: 7.5,
      costCents: null,
      valuation: { asOf: '2023-02-03', realisedCents: 75_000, committedCents: 75_000, atContractEndCents: 75_000, awaitingAgreement: false },
    });
    expect(JSON.stringify(e)).not.toContain('Pietersen');
  });

  it('ActivityRecorded by agreement: worth 0 and awaiting agreement', () => {
    const [e] = given(REGISTERED).when(mobility({ costCents: 120_000 }), '2023-04-02T08:00:00Z');
    expect(e.data).toMatchObject({
      contributionId: 'a-1',
      kind: 'activity',
      block: { code: 'MOBILITY', category: 'agreement' },
      date: '2023-04-01',
      costCents: 120_000,
      valuedBy: 'agreement',
      valuation: { realisedCents: 0, committedCents: 0, atContractEndCents: 0, awaitingAgreement: true },
    });
    expect(JSON.stringify(e)).not.toContain('Busvervoer');
  });
});

describe('contribution.changed', () => {
  const hired: [ContractCommand, string] = [hire({ hoursPerWeek: 36 }), '2023-01-01T08:00:00Z'];

  it('PlacementChanged: the new terms and the value after them', () => {
    const events = given(REGISTERED, hired).when({ type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2023-01-02', hoursPerWeek: 18 } }, '2023-01-01T09:00:00Z');
    expect(events.map((e) => e.data)).toEqual([
      {
        contributionId: 'p-1',
        kind: 'hire',
        change: 'placement-changed',
        effectiveDate: '2023-01-02',
        hoursPerWeek: 18,
        permanent: false,
        // 1 day full time + 730 days half time: 40,000 × (1 + 365) / 365
        valuation: { asOf: '2023-01-01', realisedCents: 10_959, committedCents: 4_010_959, atContractEndCents: 4_010_959, awaitingAgreement: false },
      },
    ]);
  });

  it('PlacementEnded: the actual end, not the reason', () => {
    const events = given(REGISTERED, hired).when({ type: 'EndPlacement', data: { placementId: 'p-1', endDate: '2023-01-31', reason: 'ziek gemeld' } }, '2023-02-10T09:00:00Z');
    // 31 days full time: 339,726.03 → on 2023-02-10 realised ≥ 5,000,000 × 41/731 = 280,438: on track
    expect(events.map((e) => e.data)).toEqual([
      { contributionId: 'p-1', kind: 'hire', change: 'placement-ended', endDate: '2023-01-31', valuation: { asOf: '2023-02-10', realisedCents: 339_726, committedCents: 339_726, atContractEndCents: 339_726, awaitingAgreement: false } },
    ]);
    expect(JSON.stringify(events)).not.toContain('ziek');
  });

  it('AgreedValueRecorded: the agreed value, which now counts', () => {
    const events = given(REGISTERED, [mobility(), '2023-04-02T08:00:00Z']).when({ type: 'RecordAgreedValue', data: { contributionId: 'a-1', valueCents: 250_000, note: 'akkoord adviseur' } }, '2023-04-03T08:00:00Z');
    expect(events[0].data).toEqual({
      contributionId: 'a-1',
      kind: 'activity',
      change: 'agreed-value',
      agreedValueCents: 250_000,
      valuation: { asOf: '2023-04-03', realisedCents: 250_000, committedCents: 250_000, atContractEndCents: 250_000, awaitingAgreement: false },
    });
  });

  it('ContributionWithdrawn: the value drops to 0, and the status follows', () => {
    const g = given(REGISTERED, [purchase({ amountExclVatCents: 6_000_000 }), '2023-03-02T08:00:00Z']);
    const events = g.when({ type: 'WithdrawContribution', data: { contributionId: 'k-1', reason: 'dubbel ingevoerd' } }, '2023-03-03T08:00:00Z');
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['contribution.changed', { contributionId: 'k-1', kind: 'purchase', change: 'withdrawn', valuation: { asOf: '2023-03-03', realisedCents: 0, committedCents: 0, atContractEndCents: 0, awaitingAgreement: false } }],
      ['obligation.status-changed', expect.objectContaining({ from: 'met', to: 'behind' })],
    ]);
  });
});

describe('verdicts', () => {
  const bought: [ContractCommand, string] = [purchase(), '2023-03-02T08:00:00Z'];

  it('ContributionVerified → contribution.verified, without the note', () => {
    const events = given(REGISTERED, bought).when(verify('k-1', 'verified', 'factuur gecontroleerd door mw. De Boer'), '2023-03-05T08:00:00Z');
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['contribution.verified', { contributionId: 'k-1', kind: 'purchase', previousVerdict: null, valuation: { asOf: '2023-03-05', realisedCents: 500_000, committedCents: 500_000, atContractEndCents: 500_000, awaitingAgreement: false } }],
    ]);
    expect(JSON.stringify(events)).not.toContain('Boer');
  });

  it('ContributionRejected → contribution.rejected: counts 0; a later verification brings it back', () => {
    const g = given(REGISTERED, bought);
    const rejected = g.when(verify('k-1', 'rejected', 'geen factuur'), '2023-03-05T08:00:00Z');
    expect(rejected.map((e) => [e.type, e.data])).toEqual([
      ['contribution.rejected', { contributionId: 'k-1', kind: 'purchase', previousVerdict: null, valuation: { asOf: '2023-03-05', realisedCents: 0, committedCents: 0, atContractEndCents: 0, awaitingAgreement: false } }],
      ['obligation.status-changed', expect.objectContaining({ from: 'on-track', to: 'behind', figures: expect.objectContaining({ realisedCents: 0 }) })],
    ]);
    const verified = g.when(verify('k-1', 'verified'), '2023-03-06T08:00:00Z');
    expect(verified.map((e) => [e.type, e.data])).toEqual([
      ['contribution.verified', expect.objectContaining({ previousVerdict: 'rejected', valuation: expect.objectContaining({ realisedCents: 500_000 }) })],
      ['obligation.status-changed', expect.objectContaining({ from: 'behind', to: 'on-track', figures: expect.objectContaining({ realisedCents: 500_000, verifiedCents: 500_000 }) })],
    ]);
  });

  it('a rejection after a verification names the earlier verdict', () => {
    const g = given(REGISTERED, bought, [verify('k-1', 'verified'), '2023-03-05T08:00:00Z']);
    const [e] = g.when(verify('k-1', 'rejected', 'toch onterecht'), '2023-03-06T08:00:00Z');
    expect(e).toMatchObject({ type: 'contribution.rejected', data: { previousVerdict: 'verified' } });
  });
});

describe('obligation.status-changed', () => {
  const small: [ContractCommand, string] = [registerCommand({ contractValueCents: 10_000_000 }), '2022-12-15T09:00:00Z']; // obligation 5,000 EUR

  it('met when realised reaches the obligation, with the figures on asOf', () => {
    const events = given(small).when(purchase(), '2023-03-02T08:00:00Z');
    expect(events[1]).toEqual({
      id: uuidv5('c-1/1#1'),
      type: 'obligation.status-changed',
      ...ENVELOPE,
      sourcePosition: '107',
      occurredAt: '2023-03-02T08:00:00Z',
      data: {
        from: 'on-track',
        to: 'met',
        asOf: '2023-03-02',
        figures: { contractValueCents: 10_000_000, obligationCents: 500_000, realisedCents: 500_000, committedCents: 500_000, verifiedCents: 0, awaitingAgreement: 0, elapsedDays: 61, contractDays: 731 },
      },
    });
  });

  it('is evaluated on each event only: time passing shows with the next event (not-met after the end)', () => {
    const g = given(small, [purchase({ amountExclVatCents: 100_000, date: '2023-01-02' }), '2023-01-02T08:00:00Z']);
    const late = g.when(verify('k-1', 'verified'), '2025-01-10T08:00:00Z');
    expect(late.map((e) => e.type)).toEqual(['contribution.verified', 'obligation.status-changed']);
    expect(late[1].data).toMatchObject({ from: 'on-track', to: 'not-met', asOf: '2025-01-10', figures: { elapsedDays: 731, realisedCents: 100_000 } });
  });

  it('is not repeated while the status stays the same', () => {
    const b = given(REGISTERED).builder;
    b.record(hire(), '2023-01-01T08:00:00Z');
    b.record(purchase(), '2023-03-02T08:00:00Z');
    b.record(verify('k-1', 'verified'), '2023-03-03T08:00:00Z');
    const { events } = mapContractStream(b.sources, OPTS);
    assertValid(events);
    expect(types(events)).toEqual(['contract.registered', 'obligation.status-changed', 'contribution.recorded', 'contribution.recorded', 'contribution.verified']);
  });

  it('uses the Amsterdam date of the recording: 22:30 UTC on 31 March is already 1 April', () => {
    const g = given(small);
    g.when({ type: 'ChangeContractPeriod', data: { endDate: '2023-03-31', reason: 'korter' } }, '2023-03-31T21:30:00Z');
    const events = g.when(purchase({ amountExclVatCents: 100_000 }), '2023-03-31T22:30:00Z');
    expect(events[0].data).toMatchObject({ valuation: { asOf: '2023-04-01' } });
    expect(events[1].data).toMatchObject({ from: 'behind', to: 'not-met', asOf: '2023-04-01', figures: { elapsedDays: 90, contractDays: 90 } });
  });
});

describe('what yields nothing', () => {
  it('catalogue events and other streams', () => {
    const state = createMapperState();
    const [catalogue] = shippedCatalogueEvents()['utrecht'];
    const source: SourceEvent = { streamId: 'catalogue-utrecht', id: 'x', position: '1', recordedAt: '2023-01-01T00:00:00Z', event: catalogue };
    const r = mapContractEvent(state, source, OPTS);
    expect(r.events).toEqual([]);
    expect(r.state).toBe(state);
    const other = mapContractEvent(state, { ...source, streamId: 'integration-utrecht', event: { type: 'contract.registered' } }, OPTS);
    expect(other.events).toEqual([]);
  });

  it('an unknown event type on a contract stream, and contract events before a registration', () => {
    const b = new StreamBuilder();
    const [reg] = b.record(registerCommand(), '2022-12-15T09:00:00Z');
    const [h] = b.record(hire(), '2023-01-01T08:00:00Z');
    expect(mapContractEvent(undefined, { ...reg, event: { type: 'SomethingNew', schemaVersion: 1, data: {} } }, OPTS).events).toEqual([]);
    expect(mapContractEvent(undefined, h, OPTS).events).toEqual([]);
  });

  it('refuses (throws on) a schemaVersion it does not know and a contribution the contract does not hold', () => {
    const b = new StreamBuilder();
    const [reg] = b.record(registerCommand(), '2022-12-15T09:00:00Z');
    expect(() => mapContractEvent(undefined, { ...reg, event: { ...reg.event, schemaVersion: 2 } }, OPTS)).toThrow(/schemaVersion 2/);
    const { state } = mapContractEvent(undefined, reg, OPTS);
    const ghost: SourceEvent = { ...reg, id: 'g', event: { type: 'ContributionVerified', schemaVersion: 1, data: { contributionId: 'ghost', note: '' } } };
    expect(() => mapContractEvent(state, ghost, OPTS)).toThrow(/ghost/);
  });
});

describe('the state folded without mapping (mapperStateAfter, the publisher\'s warm-up and cache miss)', () => {
  it('keeps the realised values its figures gave: the next event values only what changed, and maps byte for byte as from the mapped state', () => {
    const b = new StreamBuilder();
    b.record(registerCommand(), '2022-12-15T09:00:00Z');
    b.record(hire({ placementId: 'p-1' }), '2023-02-01T08:00:00Z');
    b.record(hire({ placementId: 'p-2', hoursPerWeek: 24, endDate: '2023-06-30' }), '2023-03-01T08:00:00Z');
    b.record(purchase(), '2023-03-02T08:00:00Z');
    const mapped = mapContractStream(b.sources, OPTS).state;
    const folded = mapperStateAfter(b.sources, OPTS);
    const values = (s: { realised: unknown }) => [...(s.realised as { values: Map<string, number> }).values].sort();
    // the realised values on the last event's date, as mapping every event left them
    expect(values(folded)).toEqual(values(mapped));
    expect(values(folded).map(([id]) => id)).toEqual(['k-1', 'p-1', 'p-2']);

    const next = b.record(hire({ placementId: 'p-3', startDate: '2023-03-10' }), '2023-04-01T08:00:00Z');
    const fromFolded = mapContractStream(next, OPTS, folded);
    // taken over in place, as mapping takes its own over: not valued afresh into a new one
    expect(fromFolded.state.realised).toBe(folded.realised);
    expect(JSON.stringify(fromFolded.events)).toBe(JSON.stringify(mapContractStream(next, OPTS, mapped).events));
  });

  it('withContract hands the realised values over to an equal contract held elsewhere (the write side\'s)', () => {
    const b = new StreamBuilder();
    b.record(registerCommand(), '2022-12-15T09:00:00Z');
    b.record(hire({ placementId: 'p-1' }), '2023-02-01T08:00:00Z');
    b.record(purchase(), '2023-03-02T08:00:00Z');
    const mapped = mapContractStream(b.sources, OPTS).state;
    const folded = mapperStateAfter(b.sources, OPTS);
    const held = structuredClone(folded.contract);
    const adopted = withContract(folded, held);
    expect(adopted.contract).toBe(held);

    const next = b.record(hire({ placementId: 'p-2', startDate: '2023-03-10' }), '2023-04-01T08:00:00Z');
    const expected = JSON.stringify(mapContractStream(next, OPTS, mapped).events);
    const fromAdopted = mapContractStream(next, OPTS, adopted);
    expect(fromAdopted.state.realised).toBe(folded.realised);
    expect(JSON.stringify(fromAdopted.events)).toBe(expected);
    // the folded state no longer owns them: mapped on again, it values everything afresh, to the same events
    const again = mapContractStream(next, OPTS, folded);
    expect(again.state.realised).not.toBe(folded.realised);
    expect(JSON.stringify(again.events)).toBe(expected);
  });
});
