import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { PUBLIC_EVENT_TYPES } from '../envelope';
import { PUBLIC_EVENT_ENVELOPE_SCHEMA, PUBLIC_EVENT_SCHEMAS, PUBLIC_EVENT_SCHEMA_LIST, publicEventSchemas } from '.';

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);

const status = {
  id: '0e6c4a0c-4b6a-5d0e-9f4f-5b1c3a1a2b3c',
  type: 'obligation.status-changed',
  schemaVersion: 1,
  sourcePosition: '42',
  occurredAt: '2023-03-02T08:00:00Z',
  contractId: 'c-1',
  municipality: 'Utrecht',
  contractor: { kvk: '12345678', name: 'Bouwbedrijf De Vries B.V.' },
  data: {
    from: 'on-track',
    to: 'met',
    asOf: '2023-03-02',
    figures: { contractValueCents: 10_000_000, obligationCents: 500_000, realisedCents: 500_000, committedCents: 500_000, verifiedCents: 0, awaitingAgreement: 0, elapsedDays: 61, contractDays: 731 },
  },
};

describe('the schemas', () => {
  it('one per public type, each draft 2020-12 with its own $id, listed in PUBLIC_EVENT_TYPES order', () => {
    expect(Object.keys(PUBLIC_EVENT_SCHEMAS).sort()).toEqual([...PUBLIC_EVENT_TYPES].sort());
    expect(PUBLIC_EVENT_SCHEMA_LIST.map((e) => e.type)).toEqual([...PUBLIC_EVENT_TYPES]);
    expect(publicEventSchemas()).toBe(PUBLIC_EVENT_SCHEMA_LIST);
    for (const { type, schemaVersion, schema } of PUBLIC_EVENT_SCHEMA_LIST) {
      expect(schemaVersion).toBe(1);
      expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema['$id']).toBe(`https://sroi-ledger.example/schemas/integration/${type}.v1.json`);
      expect(() => ajv.compile(schema)).not.toThrow();
    }
    expect(PUBLIC_EVENT_ENVELOPE_SCHEMA['$id']).toBe('https://sroi-ledger.example/schemas/integration/envelope.v1.json');
  });

  it('are plain JSON (what the API serves is what the tests validate against)', () => {
    for (const { schema } of PUBLIC_EVENT_SCHEMA_LIST) expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it('accept a valid event and refuse extra fields, wrong types, floats for cents, local times and other types', () => {
    const v = ajv.compile(PUBLIC_EVENT_SCHEMAS['obligation.status-changed']);
    const envelope = ajv.compile(PUBLIC_EVENT_ENVELOPE_SCHEMA);
    expect(v(status)).toBe(true);
    expect(envelope(status)).toBe(true);
    expect(v({ ...status, extra: 1 })).toBe(false);
    expect(v({ ...status, data: { ...status.data, candidateName: 'x' } })).toBe(false);
    expect(v({ ...status, data: { ...status.data, figures: { ...status.data.figures, realisedCents: 1.5 } } })).toBe(false);
    expect(v({ ...status, occurredAt: '2023-03-02T09:00:00+01:00' })).toBe(false);
    expect(v({ ...status, type: 'contract.changed' })).toBe(false);
    expect(v({ ...status, id: 'not-a-uuid' })).toBe(false);
    expect(v({ ...status, contractor: { kvk: '1234', name: 'X' } })).toBe(false);
    expect(envelope({ ...status, type: 'contract.deleted' })).toBe(false);
  });

  it('discriminate contract.changed by change, each variant closed', () => {
    const v = ajv.compile(PUBLIC_EVENT_SCHEMAS['contract.changed']);
    const e = (data: unknown) => ({ ...status, type: 'contract.changed', data });
    expect(v(e({ change: 'closed' }))).toBe(true);
    expect(v(e({ change: 'closed', reason: 'text' }))).toBe(false);
    expect(v(e({ change: 'period', endDate: '2025-06-30', previousEndDate: '2024-12-31' }))).toBe(true);
    expect(v(e({ change: 'period', endDate: '2025-06-30' }))).toBe(false);
    expect(v(e({ change: 'renamed' }))).toBe(false);
  });
});
