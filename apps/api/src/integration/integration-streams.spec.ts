import { publicEventId } from './integration-mapper';
import { publicEventStoreId } from './integration-streams';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('publicEventStoreId (the id of a public event in the store)', () => {
  const envelopeId = publicEventId('01a23765-fd48-70df-9bd8-ca48e27c1d80', 0);

  it('is a UUIDv8 whose first 48 bits are the source instant in Unix milliseconds, and whose other bits are the envelope id\'s', () => {
    const at = '2026-12-03T13:00:00.123Z';
    const id = publicEventStoreId(envelopeId, at);
    expect(id).toMatch(UUID_V8);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(Date.parse(at));
    expect(id.slice(15)).toBe(envelopeId.slice(15));
    expect(id).not.toBe(envelopeId);
  });

  it('is deterministic: the same envelope and instant give the same id (a retried append carries the same ids)', () => {
    expect(publicEventStoreId(envelopeId, '2026-12-03T13:00:00.123Z')).toBe(publicEventStoreId(envelopeId, '2026-12-03T13:00:00.123Z'));
  });

  it('sorts by instant whatever the envelope ids, and keeps the public events of one instant apart', () => {
    const instants = ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.001Z', '2026-12-03T13:00:00.123Z', '2026-12-03T13:00:01.000Z', '2099-12-31T23:59:59.999Z'];
    const ids = instants.map((at, i) => publicEventStoreId(publicEventId(`source-${instants.length - i}`, i % 2), at));
    expect([...ids].sort()).toEqual(ids);
    const sameInstant = Array.from({ length: 50 }, (_, i) => publicEventStoreId(publicEventId('source-1', i), '2026-12-03T13:00:00.123Z'));
    expect(new Set(sameInstant).size).toBe(50);
    for (const id of sameInstant) expect(id.slice(0, 13)).toBe(sameInstant[0].slice(0, 13));
  });

  it('leaves an id or an instant it cannot read as the envelope id (never made by this service)', () => {
    expect(publicEventStoreId('not-a-uuid', '2026-12-03T13:00:00.123Z')).toBe('not-a-uuid');
    expect(publicEventStoreId(envelopeId, 'yesterday')).toBe(envelopeId);
    expect(publicEventStoreId(envelopeId, '1969-12-31T23:59:59.999Z')).toBe(envelopeId);
  });
});
