import { registered, run } from '../testing/gwt';
import { figuresOf } from '../status/figures';
import type { ContractCommand } from './commands';
import { contributionList, MAP_VIEW_FROM } from './contributions';
import { decide } from './decide';
import type { ContractEvent } from './events';
import { evolve, fold } from './evolve';
import { initialState, isRegistered, type ContractState, type RegisteredContract } from './state';

const purchase = (id: string, day: number): ContractCommand =>
  ({
    type: 'RecordPurchase',
    data: {
      contributionId: id,
      supplier: { name: 'Sociale Onderneming BV', kvk: '87654321' },
      invoiceReference: `F-${id}`,
      amountExclVatCents: 100_000 + day,
      date: `2023-03-${String(1 + (day % 28)).padStart(2, '0')}`,
      blockCode: 'SOCIAL-PURCHASE',
    },
  }) as ContractCommand;

// Ids that plain objects list out of insertion order (array indexes first, ascending) among others.
const ids = Array.from({ length: MAP_VIEW_FROM + 8 }, (_, i) => (i % 9 === 4 ? String(1000 - i) : `k-${i}`));
const history: ContractEvent[] = run(
  [...ids.map((id, i) => purchase(id, i)), { type: 'RecordVerification', data: { contributionId: 'k-1', verdict: 'verified' } } as ContractCommand],
  [registered()],
);

/** The state after each event, folded one `evolve` at a time (no event ever written in place). */
function evolvedStates(): RegisteredContract[] {
  const states: ContractState[] = [];
  history.reduce((s, e) => {
    const next = evolve(s, e);
    states.push(next);
    return next;
  }, initialState);
  return states.filter(isRegistered);
}

function plain(c: RegisteredContract['contributions']): Record<string, unknown> {
  return JSON.parse(JSON.stringify(c)) as Record<string, unknown>;
}

describe('contributions of a large contract (a copy-on-write map seen as a read-only object)', () => {
  const states = evolvedStates();
  const last = states[states.length - 1];

  it('reads as the plain object the fold writes in place: keys in the same order, values, JSON and deep equality', () => {
    const folded = fold(history) as RegisteredContract;
    expect(Object.keys(last.contributions)).toEqual(Object.keys(folded.contributions));
    expect(Object.keys(last.contributions).slice(0, 4)).toEqual(['969', '978', '987', '996']);
    expect(Object.values(last.contributions)).toEqual(Object.values(folded.contributions));
    expect(Object.entries(last.contributions)).toEqual(Object.entries(folded.contributions));
    expect(JSON.stringify(last)).toBe(JSON.stringify(folded));
    expect(last).toEqual(folded);
    expect({ ...last.contributions }).toEqual(folded.contributions);
    const forIn: string[] = [];
    for (const id in last.contributions) forIn.push(id);
    expect(forIn).toEqual(Object.keys(folded.contributions));
    expect('k-1' in last.contributions).toBe(true);
    expect('k-999' in last.contributions).toBe(false);
    expect(last.contributions['k-999']).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(last.contributions, 'k-2')).toBe(true);
    expect(Object.getPrototypeOf(last.contributions)).toBe(Object.prototype);
    expect(contributionList(last.contributions)).toEqual(Object.values(folded.contributions));
  });

  it('refuses every write', () => {
    const c = last.contributions as Record<string, unknown>;
    expect(() => {
      c['k-1'] = null;
    }).toThrow(TypeError);
    expect(() => delete c['k-1']).toThrow(TypeError);
    expect(() => Object.defineProperty(c, 'x', { value: 1 })).toThrow(TypeError);
    expect(last.contributions['k-1'].verdict).toBe('verified');
  });

  it('leaves every earlier state as it was: each state equals the fold of its own prefix', () => {
    states.forEach((s, i) => expect(plain(s.contributions)).toEqual(plain((fold(history.slice(0, i + 1)) as RegisteredContract).contributions)));
    // the state before the verification still has the contribution unverified
    expect(states[states.length - 2].contributions['k-1'].verdict).toBeNull();
  });

  it('gives the decisions and the figures of the plain state', () => {
    const folded = fold(history) as RegisteredContract;
    expect(figuresOf(last, '2023-12-31', null)).toEqual(figuresOf(folded, '2023-12-31', null));
    const again: ContractCommand = purchase('k-3', 3);
    expect(() => decide(again, last)).toThrow(/already exists/);
    const next = decide(purchase('k-new', 5), last);
    expect(next).toEqual(decide(purchase('k-new', 5), folded));
  });

  it('is folded on from by a fold that writes in place, without changing it', () => {
    const before = plain(last.contributions);
    const more = run([purchase('k-more', 2)], history).slice(history.length);
    const on = fold(more, last) as RegisteredContract;
    expect(Object.keys(on.contributions)).toEqual([...Object.keys(before), 'k-more']);
    expect(plain(last.contributions)).toEqual(before);
  });
});
