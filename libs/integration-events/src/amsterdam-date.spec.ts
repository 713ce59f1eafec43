import fc from 'fast-check';
import { amsterdamDateOf } from './amsterdam-date';

describe('amsterdamDateOf', () => {
  it.each([
    ['2024-01-15T22:59:59Z', '2024-01-15'], // CET (+1)
    ['2024-01-15T23:00:00Z', '2024-01-16'],
    ['2024-03-30T23:30:00Z', '2024-03-31'], // the night summer time starts
    ['2024-03-31T21:59:59.999Z', '2024-03-31'], // CEST (+2)
    ['2024-03-31T22:00:00Z', '2024-04-01'],
    ['2024-10-26T22:00:00Z', '2024-10-27'], // still CEST
    ['2024-10-27T22:59:59Z', '2024-10-27'], // CET again
    ['2024-10-27T23:00:00Z', '2024-10-28'],
    ['2023-12-31T23:00:00.000000001Z', '2024-01-01'],
    ['1965-06-01T22:30:00Z', '1965-06-01'], // before 1970: not cached, no summer time then
  ])('%s → %s', (instant, date) => expect(amsterdamDateOf(instant)).toBe(date));

  it('equals the date Intl gives for Europe/Amsterdam, whatever was cached before', () => {
    const f = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' });
    const ref = (ms: number) => {
      const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
      return `${p['year']}-${p['month']}-${p['day']}`;
    };
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        expect(amsterdamDateOf(new Date(ms).toISOString())).toBe(ref(ms));
      }),
      { numRuns: 3000 },
    );
  });

  it('throws on what is not an instant', () => expect(() => amsterdamDateOf('yesterday')).toThrow(RangeError));
});
