import { isUuid, uuidv7 } from './uuid-v7';

describe('uuidv7', () => {
  it('is an RFC 9562 version 7 UUID carrying the Unix milliseconds', () => {
    const now = Date.now();
    const id = uuidv7(now + 10_000); // later than any id made so far in this process
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now + 10_000);
    expect(isUuid(id)).toBe(true);
  });

  it('is strictly increasing within a process, even within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('recognises what is not a UUID', () => {
    expect(isUuid('not-a-uuid')).toBe(false);
    expect(isUuid('0190c3e0-0000-7000-8000-00000000000')).toBe(false);
  });
});
