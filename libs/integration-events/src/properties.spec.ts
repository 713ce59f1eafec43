/**
 * Properties over random contract histories built with the domain's `decide`: every envelope
 * matches its schema, the incremental status equals the domain's figures after every event, the
 * valuations equal the domain's, mapping is deterministic (also from a reused or re-mapped state),
 * and no personal data or free text leaves the ledger.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  addDays,
  evolve,
  figuresOf,
  fold,
  hollandRijnland2023,
  isRegistered,
  utrecht2015,
  utrecht2019,
  type CatalogueVersion,
  type ContractCommand,
  type ContractEvent,
  type StatusLabel,
} from '@sroi/domain';
import { amsterdamDateOf } from './amsterdam-date';
import type { PublicEvent } from './events';
import { isMappedSource, isObservationSource, mapContractEvent, mapContractStream, mapperStateAfter, MapperStateFold, type ContractMapperState, type MapperOptions, type SourceEvent } from './mapper';
import { PUBLIC_EVENT_SCHEMAS } from './schemas';
import { registerCommand, StreamBuilder } from './testing/fixtures';
import { keyPaths, stringLeaves } from './testing/support';

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

// ---- random histories

/** Free text that must never reach a public event: it names people. */
const SECRET = 'Jan Jansen';
const BASE = '2023-01-01';
const day = (min: number, max: number) => fc.integer({ min, max }).map((n) => addDays(BASE, n));
const pid = fc.constantFrom('p-0', 'p-1', 'p-2');
const oid = fc.constantFrom('k-0', 'k-1', 'a-0', 'a-1');
const anyId = fc.oneof(pid, oid);
const hours = fc.oneof(fc.integer({ min: 1, max: 45 }), fc.integer({ min: 100, max: 4500 }).map((n) => n / 100));
const text = fc.constantFrom(`gesprek met ${SECRET}`, `${SECRET} (BSN 123456782)`, 'correctie');

interface Setup {
  readonly catalogue: CatalogueVersion;
  readonly migrateTo?: CatalogueVersion;
  readonly mapping?: Record<string, string>;
  readonly hireCodes: readonly string[];
  readonly bonusCodes: readonly string[];
  readonly purchaseCodes: readonly string[];
  readonly hourCodes: readonly string[];
  readonly activityCodes: readonly string[];
}

const setups: Record<string, Setup> = {
  'utrecht 2015 → 2019': {
    catalogue: utrecht2015,
    migrateTo: utrecht2019,
    mapping: { SOCIAL: 'KNOWLEDGE' },
    hireCodes: ['PW-LT2', 'WW-LT1', 'BA', 'NUG'],
    bonusCodes: ['B-50PLUS', 'B-STATUS'],
    purchaseCodes: ['WSW', 'SOCIAL'],
    hourCodes: ['SOCIAL'],
    activityCodes: ['MOBILITY'],
  },
  'holland rijnland 2023 (per activity)': {
    catalogue: hollandRijnland2023,
    hireCodes: ['BOL-STAGE', 'PW', 'WW'],
    bonusCodes: ['B-55PLUS'],
    purchaseCodes: ['SW-INVOICE'],
    hourCodes: ['NONE'], // no hourly block: refused, skipped
    activityCodes: ['ACTIVITY'],
  },
};

function commandOf(s: Setup): fc.Arbitrary<ContractCommand> {
  const list: fc.WeightedArbitrary<ContractCommand>[] = [
    {
      weight: 6,
      arbitrary: fc
        .record({ placementId: pid, candidateRef: fc.constantFrom('cand-a', 'KND-0042'), blockCode: fc.constantFrom(...s.hireCodes), bonusCodes: fc.subarray([...s.bonusCodes]), startDate: day(-380, 600), endDate: fc.option(day(100, 900), { nil: null }), hoursPerWeek: hours, permanent: fc.boolean() })
        .map((data) => ({ type: 'RecordHire', data }) as ContractCommand),
    },
    { weight: 3, arbitrary: fc.record({ placementId: pid, effectiveDate: day(-100, 700), hoursPerWeek: fc.option(hours, { nil: undefined }), permanent: fc.option(fc.boolean(), { nil: undefined }) }).map((data) => ({ type: 'ChangePlacement', data }) as ContractCommand) },
    { weight: 2, arbitrary: fc.record({ placementId: pid, endDate: day(0, 900), reason: text }).map((data) => ({ type: 'EndPlacement', data }) as ContractCommand) },
    {
      weight: 3,
      arbitrary: fc
        .record({ contributionId: oid, supplier: fc.constantFrom({ name: 'SW-bedrijf' }, { name: 'Sociaal BV', kvk: '87654321' }), invoiceReference: fc.constant('F-1'), amountExclVatCents: fc.integer({ min: 1, max: 5_000_000 }), date: day(-10, 740), blockCode: fc.constantFrom(...s.purchaseCodes) })
        .map((data) => ({ type: 'RecordPurchase', data }) as ContractCommand),
    },
    { weight: 1, arbitrary: fc.record({ contributionId: oid, description: text, date: day(0, 730), blockCode: fc.constantFrom(...s.hourCodes), hours }).map((data) => ({ type: 'RecordKnowledgeSharing', data }) as ContractCommand) },
    { weight: 2, arbitrary: fc.record({ contributionId: oid, description: text, date: day(0, 40), blockCode: fc.constantFrom(...s.activityCodes) }).map((data) => ({ type: 'RecordActivity', data }) as ContractCommand) },
    { weight: 1, arbitrary: fc.record({ contributionId: oid, valueCents: fc.integer({ min: 0, max: 1_000_000 }), note: text }).map((data) => ({ type: 'RecordAgreedValue', data }) as ContractCommand) },
    { weight: 3, arbitrary: fc.record({ contributionId: anyId, verdict: fc.constantFrom('verified' as const, 'rejected' as const), note: text }).map((data) => ({ type: 'RecordVerification', data }) as ContractCommand) },
    { weight: 1, arbitrary: fc.record({ contributionId: anyId, reason: text }).map((data) => ({ type: 'WithdrawContribution', data }) as ContractCommand) },
    { weight: 1, arbitrary: fc.record({ v: fc.integer({ min: 1, max: 500_000_000 }), effectiveDate: day(0, 730), reason: text }).map(({ v, effectiveDate, reason }) => ({ type: 'ChangeContractValue', data: { contractValueCents: v, effectiveDate, reason } }) as ContractCommand) },
    { weight: 1, arbitrary: fc.record({ endDate: day(200, 900), reason: text }).map((data) => ({ type: 'ChangeContractPeriod', data }) as ContractCommand) },
  ];
  if (s.migrateTo) {
    const to = s.migrateTo;
    list.push({ weight: 1, arbitrary: day(273, 600).map((effectiveDate) => ({ type: 'MigrateCatalogue', data: { catalogue: to, effectiveDate, blockMapping: s.mapping, explicitVersion: true, reason: 'migratie' } }) as ContractCommand) });
  }
  return fc.oneof(...list);
}

/** Minutes between recordings: the same day, the next days, or weeks later (crossing DST and the contract end). */
const gap = fc.oneof(fc.integer({ min: 0, max: 90 }), fc.integer({ min: 600, max: 4 * 1440 }), fc.integer({ min: 5 * 1440, max: 60 * 1440 }));

function historyOf(s: Setup, steps: readonly [ContractCommand, number][], closeAtEnd: boolean): SourceEvent[] {
  const b = new StreamBuilder('c-9', 5_000, 3);
  let t = Date.parse('2022-11-20T07:00:00Z');
  const at = (minutes: number) => new Date((t += minutes * 60_000)).toISOString();
  b.record(registerCommand({ contractId: 'c-9', startDate: BASE, endDate: '2024-12-31', explicitVersion: true, contractValueCents: 20_000_000 }, s.catalogue), at(0));
  for (const [c, minutes] of steps) b.tryRecord(c, at(minutes));
  if (closeAtEnd) b.tryRecord({ type: 'CloseContract', data: { reason: `afgesloten door ${SECRET}` } }, at(60));
  return [...b.sources];
}

/** The status after every event the simple way: fold the prefix, figuresOf on the Amsterdam date. */
function referenceStatuses(sources: readonly SourceEvent[]): StatusLabel[] {
  const out: StatusLabel[] = [];
  for (let i = 0; i < sources.length; i++) {
    const s = fold(sources.slice(0, i + 1).map((x) => x.event as ContractEvent));
    if (isRegistered(s)) out.push(figuresOf(s, amsterdamDateOf(sources[i].recordedAt), sources[i].recordedAt).status);
  }
  return out;
}

const json = (events: readonly PublicEvent[]) => events.map((e) => JSON.stringify(e)).join('\n');

describe.each(Object.entries(setups))('random histories: %s', (_name, setup) => {
  const histories = fc.tuple(fc.array(fc.tuple(commandOf(setup), gap), { minLength: 3, maxLength: 40 }), fc.boolean()).map(([steps, close]) => historyOf(setup, steps, close));

  it('every envelope matches its schema; ids are unique; sourcePosition and occurredAt are the source event’s', () => {
    fc.assert(
      fc.property(histories, (h) => {
        const ids = new Set<string>();
        let state: ContractMapperState | undefined;
        for (const source of h) {
          const r = mapContractEvent(state, source, OPTS);
          state = r.state;
          for (const e of r.events) {
            const v = validators[e.type];
            if (!v(e)) throw new Error(`${String((e as { type: unknown }).type)}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(e, null, 2)}`);
            expect(ids.has(e.id)).toBe(false);
            ids.add(e.id);
            expect(e.sourcePosition).toBe(source.position);
            expect(e.occurredAt).toBe(source.recordedAt);
          }
          // every internal contract event yields its public event (plus maybe a status change)
          expect(r.events.length).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('status changes are exactly the changes of the domain’s status after each event, with its figures', () => {
    fc.assert(
      fc.property(histories, (h) => {
        const expected: StatusLabel[] = [];
        for (const s of referenceStatuses(h)) if (expected[expected.length - 1] !== s) expected.push(s);
        const { events } = mapContractStream(h, OPTS);
        const changes = events.filter((e) => e.type === 'obligation.status-changed');
        expect(changes.map((e) => e.data.to)).toEqual(expected);
        changes.forEach((e, i) => expect(e.data.from).toBe(i === 0 ? null : expected[i - 1]));
        for (const e of changes) {
          const upTo = h.findIndex((x) => x.position === e.sourcePosition);
          const s = fold(h.slice(0, upTo + 1).map((x) => x.event as ContractEvent));
          if (!isRegistered(s)) throw new Error('not registered');
          const f = figuresOf(s, e.data.asOf, null);
          expect(e.data.figures).toEqual({
            contractValueCents: f.contractValueCents,
            obligationCents: f.obligationCents,
            realisedCents: f.realisedCents,
            committedCents: f.committedCents,
            verifiedCents: f.verifiedCents,
            awaitingAgreement: f.awaitingAgreement,
            elapsedDays: f.elapsedDays,
            contractDays: f.contractDays,
          });
        }
      }),
      { numRuns: 120 },
    );
  });

  it('each valuation is the domain’s figure for that contribution on asOf and on the contract end', () => {
    fc.assert(
      fc.property(histories, (h) => {
        let state: ContractMapperState | undefined;
        for (let i = 0; i < h.length; i++) {
          const r = mapContractEvent(state, h[i], OPTS);
          state = r.state;
          for (const e of r.events) {
            if (!e.type.startsWith('contribution.')) continue;
            const d = e.data as { contributionId: string; valuation: { asOf: string; realisedCents: number; committedCents: number; atContractEndCents: number } };
            const s = fold(h.slice(0, i + 1).map((x) => x.event as ContractEvent));
            if (!isRegistered(s)) throw new Error('not registered');
            const on = figuresOf(s, d.valuation.asOf).contributions.find((c) => c.contributionId === d.contributionId);
            const end = figuresOf(s, s.endDate).contributions.find((c) => c.contributionId === d.contributionId);
            expect([d.valuation.realisedCents, d.valuation.committedCents, d.valuation.atContractEndCents]).toEqual([on?.realisedCents, on?.committedCents, end?.realisedCents]);
          }
        }
      }),
      { numRuns: 80 },
    );
  });

  it('is deterministic: mapped again from revision 0, from a reused older state, or from a state re-mapped from the stream', () => {
    fc.assert(
      fc.property(histories, fc.nat(), (h, cut) => {
        const first = mapContractStream(h, OPTS);
        expect(json(mapContractStream(h, OPTS).events)).toBe(json(first.events));
        // the publisher's cache miss: map the prefix (output discarded), then go on
        const k = cut % h.length;
        const prefix = mapContractStream(h.slice(0, k), OPTS);
        const rest = mapContractStream(h.slice(k), OPTS, prefix.state);
        const expectedRest = first.events.filter((e) => h.slice(k).some((x) => x.position === e.sourcePosition));
        expect(json(rest.events)).toBe(json(expectedRest));
        // an older state mapped again after a newer one took its cache over
        const again = mapContractStream(h.slice(k), OPTS, prefix.state);
        expect(json(again.events)).toBe(json(expectedRest));
        expect(JSON.stringify(again.state.contract)).toBe(JSON.stringify(first.state.contract));
      }),
      { numRuns: 80 },
    );
  });

  it('mapperStateAfter leaves the state mapping leaves: mapping on from it gives the same public events, byte for byte', () => {
    fc.assert(
      fc.property(histories, fc.nat(), (h, cut) => {
        const k = cut % (h.length + 1);
        const mapped = mapContractStream(h.slice(0, k), OPTS).state;
        const fast = mapperStateAfter(h.slice(0, k), OPTS);
        expect(fast.lastStatus).toBe(mapped.lastStatus);
        expect(fast.statusAsOf).toBe(mapped.statusAsOf);
        expect(JSON.stringify(fast.contract)).toBe(JSON.stringify(mapped.contract));
        const rest = mapContractStream(h.slice(k), OPTS, fast);
        expect(json(rest.events)).toBe(json(mapContractStream(h.slice(k), OPTS, mapped).events));
        expect(rest.state.lastStatus).toBe(mapContractStream(h, OPTS).state.lastStatus);
      }),
      { numRuns: 100 },
    );
  });

  it('MapperStateFold, asked for its result anywhere on the way, ends where mapperStateAfter of the whole history ends', () => {
    fc.assert(
      fc.property(histories, fc.array(fc.nat(), { maxLength: 4 }), (h, cuts) => {
        const asks = new Set(cuts.map((c) => c % (h.length + 1)));
        const fold = new MapperStateFold(OPTS);
        h.forEach((source, i) => {
          if (asks.has(i)) {
            const midway = fold.result();
            expect(JSON.stringify(midway)).toBe(JSON.stringify(mapperStateAfter(h.slice(0, i), OPTS)));
          }
          fold.add(source);
        });
        const whole = mapperStateAfter(h, OPTS);
        const folded = fold.result();
        expect(folded.lastStatus).toBe(whole.lastStatus);
        expect(folded.statusAsOf).toBe(whole.statusAsOf);
        expect(JSON.stringify(folded.contract)).toBe(JSON.stringify(whole.contract));
      }),
      { numRuns: 100 },
    );
  });

  it('a state given by advance (an equal one held elsewhere, not evolve\'s own object) maps to the same public events, byte for byte', () => {
    fc.assert(
      fc.property(histories, (h) => {
        let given = 0;
        const advance: MapperOptions['advance'] = (before, event) => {
          given++;
          return structuredClone(evolve(before, event));
        };
        const shared = mapContractStream(h, { ...OPTS, advance });
        const own = mapContractStream(h, OPTS);
        expect(json(shared.events)).toBe(json(own.events));
        expect(JSON.stringify(shared.state.contract)).toBe(JSON.stringify(own.state.contract));
        expect(shared.state.lastStatus).toBe(own.state.lastStatus);
        expect(given).toBe(h.filter((s) => isMappedSource(s) && !isObservationSource(s)).length);
      }),
      { numRuns: 100 },
    );
  });

  it('carries no personal data and no free text: only the pseudonymous candidateRef, no names of people, no BSN', () => {
    const allowedNames = new Set(['contractor.name', 'data.supplier.name', 'data.block.nameNl', 'data.block.nameEn']);
    fc.assert(
      fc.property(histories, (h) => {
        const { events } = mapContractStream(h, OPTS);
        const text = JSON.stringify(events);
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain('123456782');
        for (const e of events) {
          for (const p of keyPaths(e)) {
            expect(/bsn|birth|geboorte|email|phone|address|note|reason|description/i.test(p)).toBe(false);
            if (/name/i.test(p)) expect(allowedNames.has(p)).toBe(true);
          }
          for (const [p, v] of stringLeaves(e)) {
            if (!/^\d{4}-\d{2}-\d{2}/.test(v) && /^\d{8,9}$/.test(v.replace(/[\s.-]/g, ''))) expect(p).toMatch(/(^|\.)kvk$/);
          }
        }
      }),
      { numRuns: 80 },
    );
  });
});
