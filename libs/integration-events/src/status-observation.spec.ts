import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createHash } from 'node:crypto';
import type { ContractCommand } from '@sroi/domain';
import { amsterdamDateOf } from './amsterdam-date';
import type { PublicEvent } from './events';
import {
  createMapperState,
  isMappedSource,
  isObservationSource,
  mapContractEvent,
  mapContractStream,
  mapperStateAfter,
  mapStatusObservation,
  OBLIGATION_STATUS_OBSERVED,
  type ContractMapperState,
  type MapperOptions,
  type SourceEvent,
} from './mapper';
import { PUBLIC_EVENT_SCHEMAS } from './schemas';
import { registerCommand, StreamBuilder } from './testing/fixtures';
import { types } from './testing/support';

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

/** An observation as the app appends it to `obligation-<contractId>`: the status it claims is `status`. */
function observation(asOf: string, status: string, position: number, contractId = 'c-1', recordedAt = `${asOf}T00:00:05Z`): SourceEvent {
  return {
    streamId: `obligation-${contractId}`,
    id: `obs:${contractId}/${asOf}`,
    position: String(position),
    recordedAt,
    event: { type: OBLIGATION_STATUS_OBSERVED, schemaVersion: 1, data: { contractId, asOf, status } },
  };
}

const purchase = (over: Record<string, unknown> = {}): ContractCommand =>
  ({
    type: 'RecordPurchase',
    data: { contributionId: 'k-1', supplier: { name: 'Sociale Onderneming BV', kvk: '87654321' }, invoiceReference: 'F-2023-001', amountExclVatCents: 500_000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE', ...over },
  }) as ContractCommand;

/** A contract registered before its start (2023-01-01 – 2024-12-31, 5 % of EUR 1M: an obligation of EUR 50,000), nothing else. */
function registered(): { builder: StreamBuilder; state: ContractMapperState; events: PublicEvent[] } {
  const builder = new StreamBuilder();
  builder.record(registerCommand(), '2022-12-15T09:00:00Z');
  const { state, events } = mapContractStream(builder.sources, OPTS);
  return { builder, state, events };
}

describe('status observations: the date alone changes the status', () => {
  it('a contract with no event since its registration falls behind once its period runs, then not-met after its end', () => {
    const { state, events } = registered();
    expect(events[events.length - 1]).toMatchObject({ type: 'obligation.status-changed', data: { from: null, to: 'on-track', asOf: '2022-12-15' } });

    const first = observation('2023-01-10', 'behind', 500);
    const behind = mapStatusObservation(state, first, OPTS);
    assertValid(behind.events);
    expect(behind.events).toEqual([
      {
        id: uuidv5(`${first.id}#0`),
        type: 'obligation.status-changed',
        schemaVersion: 1,
        sourcePosition: '500',
        occurredAt: '2023-01-10T00:00:05Z',
        contractId: 'c-1',
        municipality: 'Utrecht',
        contractor: { kvk: '12345678', name: 'Bouwbedrijf De Vries B.V.' },
        data: {
          from: 'on-track',
          to: 'behind',
          asOf: '2023-01-10',
          figures: { contractValueCents: 100_000_000, obligationCents: 5_000_000, realisedCents: 0, committedCents: 0, verifiedCents: 0, awaitingAgreement: 0, elapsedDays: 10, contractDays: 731 },
        },
      },
    ]);
    expect(behind.state).toMatchObject({ lastStatus: 'behind', statusAsOf: '2023-01-10' });

    const notMet = mapStatusObservation(behind.state, observation('2025-01-01', 'not-met', 600), OPTS);
    assertValid(notMet.events);
    expect(notMet.events.map((e) => e.data)).toEqual([expect.objectContaining({ from: 'behind', to: 'not-met', asOf: '2025-01-01', figures: expect.objectContaining({ elapsedDays: 731 }) })]);
  });

  it('is mapped by mapContractEvent and mapContractStream too, and counted as a mapped source', () => {
    const { state } = registered();
    const obs = observation('2023-01-10', 'behind', 500);
    expect(isObservationSource(obs)).toBe(true);
    expect(isMappedSource(obs)).toBe(true);
    expect(isMappedSource({ ...obs, streamId: 'elsewhere-c-1' })).toBe(false);
    expect(isMappedSource({ ...obs, event: { type: 'SomethingElse', data: {} } })).toBe(false);
    expect(mapContractEvent(state, obs, OPTS)).toEqual(mapStatusObservation(state, obs, OPTS));
  });

  it('computes the status itself: a wrong status in the observation does not fool it', () => {
    const { state } = registered();
    // claims met, but nothing is realised on 2023-01-10: behind
    const lying = mapStatusObservation(state, observation('2023-01-10', 'met', 500), OPTS);
    expect(lying.events.map((e) => [e.type, (e.data as { to: string }).to])).toEqual([['obligation.status-changed', 'behind']]);

    // claims behind, but a purchase dated on the start keeps it on track on 2023-01-10: nothing
    const b = new StreamBuilder();
    b.record(registerCommand(), '2022-12-15T09:00:00Z');
    b.record(purchase({ date: '2023-01-01', amountExclVatCents: 2_000_000 }), '2022-12-20T09:00:00Z');
    const mapped = mapContractStream(b.sources, OPTS);
    expect(mapped.state.lastStatus).toBe('on-track');
    const wrong = mapStatusObservation(mapped.state, observation('2023-01-10', 'behind', 500), OPTS);
    expect(wrong.events).toEqual([]);
    expect(wrong.state.lastStatus).toBe('on-track');
    expect(wrong.state.statusAsOf).toBe('2023-01-10');
  });

  it('yields nothing when the status is unchanged, for a date not later than the last one evaluated, and for a closed contract', () => {
    const { state } = registered();
    const behind = mapStatusObservation(state, observation('2023-01-10', 'behind', 500), OPTS);
    // a day later: still behind
    expect(mapStatusObservation(behind.state, observation('2023-01-11', 'behind', 501), OPTS).events).toEqual([]);
    // the same date or an earlier one than the status was last evaluated on: nothing new to say
    expect(mapStatusObservation(state, observation('2022-12-15', 'behind', 502), OPTS)).toEqual({ state, events: [] });
    expect(mapStatusObservation(behind.state, observation('2022-12-31', 'on-track', 503), OPTS)).toEqual({ state: behind.state, events: [] });
    // not registered yet: nothing
    expect(mapStatusObservation(undefined, observation('2023-01-10', 'behind', 504), OPTS)).toEqual({ state: createMapperState(), events: [] });
    // closed: no longer observed
    const b = new StreamBuilder();
    b.record(registerCommand(), '2022-12-15T09:00:00Z');
    b.record({ type: 'CloseContract', data: { reason: 'gestopt' } } as ContractCommand, '2022-12-16T09:00:00Z');
    const closed = mapContractStream(b.sources, OPTS).state;
    expect(mapStatusObservation(closed, observation('2025-01-01', 'not-met', 505), OPTS).events).toEqual([]);
  });

  it('a contract event after an observation reports its change from the observed status', () => {
    const b = new StreamBuilder();
    b.record(registerCommand(), '2022-12-15T09:00:00Z');
    const { state } = mapContractStream(b.sources, OPTS);
    const behind = mapStatusObservation(state, observation('2023-01-10', 'behind', 101), OPTS).state;
    const [bought] = b.record(purchase({ date: '2023-01-20', amountExclVatCents: 5_000_000 }), '2023-01-20T10:00:00Z');
    const { events } = mapContractEvent(behind, bought, OPTS);
    assertValid(events);
    expect(types(events)).toEqual(['contribution.recorded', 'obligation.status-changed']);
    expect(events[1].data).toMatchObject({ from: 'behind', to: 'met', asOf: '2023-01-20' });
  });

  it('is deterministic: the same interleaving of contract events and observations gives the same envelopes, byte for byte', () => {
    const b = new StreamBuilder();
    b.record(registerCommand(), '2022-12-15T09:00:00Z');
    b.record(purchase({ date: '2023-01-05', amountExclVatCents: 100_000 }), '2023-01-05T10:00:00Z');
    const [first, second] = b.sources;
    // positions: registration 100, purchase 107; observations in between and after
    const log: SourceEvent[] = [first, observation('2023-01-03', 'behind', 103), second, observation('2023-02-01', 'behind', 200), observation('2025-01-01', 'not-met', 300)];
    const once = mapContractStream(log, OPTS);
    const twice = mapContractStream(log, OPTS);
    assertValid(once.events);
    expect(JSON.stringify(twice.events)).toBe(JSON.stringify(once.events));
    expect(new Set(once.events.map((e) => e.id)).size).toBe(once.events.length);
    expect(
      once.events
        .filter((e) => e.type === 'obligation.status-changed')
        .map((e) => [e.sourcePosition, (e.data as { from: string | null }).from, (e.data as { to: string }).to]),
    ).toEqual([
      ['100', null, 'on-track'],
      ['103', 'on-track', 'behind'],
      // EUR 1,000 on 2023-01-05 keeps it on track up to day 14 of 731 (EUR 50,000 × 14 / 731 ≈ EUR 958)
      ['107', 'behind', 'on-track'],
      ['200', 'on-track', 'behind'],
      ['300', 'behind', 'not-met'],
    ]);
    // mapped in two halves (a state rebuilt, as the publisher does after a cache miss): the same
    const head = mapContractStream(log.slice(0, 3), OPTS);
    const tail = mapContractStream(log.slice(3), OPTS, head.state);
    expect(JSON.stringify([...head.events, ...tail.events])).toBe(JSON.stringify(once.events));
    // and from mapperStateAfter's state, cut anywhere (observations included): the same
    for (let k = 0; k <= log.length; k++) {
      const state = mapperStateAfter(log.slice(0, k), OPTS);
      const mapped = mapContractStream(log.slice(0, k), OPTS).state;
      expect([state.lastStatus, state.statusAsOf]).toEqual([mapped.lastStatus, mapped.statusAsOf]);
      const rest = mapContractStream(log.slice(k), OPTS, state);
      expect(JSON.stringify(rest.events)).toBe(JSON.stringify(once.events.filter((e) => log.slice(k).some((x) => x.position === e.sourcePosition))));
    }
  });

  it('throws on a malformed observation rather than guess', () => {
    const { state } = registered();
    const bad = (data: Record<string, unknown>, schemaVersion = 1): SourceEvent => ({ ...observation('2023-01-10', 'behind', 500), event: { type: OBLIGATION_STATUS_OBSERVED, schemaVersion, data } });
    expect(() => mapStatusObservation(state, bad({ contractId: 'c-1', asOf: '2023-02-30', status: 'behind' }), OPTS)).toThrow(/asOf/);
    expect(() => mapStatusObservation(state, bad({ contractId: 'c-2', asOf: '2023-01-10', status: 'behind' }), OPTS)).toThrow(/names contract c-2/);
    expect(() => mapStatusObservation(state, bad({ contractId: 'c-1', asOf: '2023-01-10', status: 'behind' }, 2), OPTS)).toThrow(/schemaVersion 2/);
  });
});
