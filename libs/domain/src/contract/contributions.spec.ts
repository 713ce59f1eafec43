import { registered, run } from '../testing/gwt';
import { figuresOf } from '../status/figures';
import type { ContractCommand } from './commands';
import { contributionList, DELTA_MAX, MAP_VIEW_FROM } from './contributions';
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

const verify = (id: string): ContractCommand => ({ type: 'RecordVerification', data: { contributionId: id, verdict: 'verified' } }) as ContractCommand;

/**
 * Purchases, and verifications of contributions written long before (in the copied base) and
 * just before (in the latest writes), up to many writes after the map took over.
 */
function historyOf(ids: readonly string[]): ContractEvent[] {
  return run([...ids.flatMap((id, i) => (i % 10 === 7 ? [purchase(id, i), verify(id), verify(ids[i - 6])] : [purchase(id, i)])), verify('k-0')], [registered()]);
}

/** The state after each event, folded one `evolve` at a time (no event ever written in place). */
function evolvedStates(history: readonly ContractEvent[]): RegisteredContract[] {
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

// enough writes for the base to be copied twice after the map took over
const count = MAP_VIEW_FROM + 2 * DELTA_MAX + 40;
describe.each([
  { ids: 'ids that are not array indexes', idList: Array.from({ length: count }, (_, i) => `k-${i}`), first: ['k-0', 'k-1', 'k-2'] },
  // plain objects list array indexes first, ascending, whatever the order they were written in
  { ids: 'some ids that are array indexes', idList: Array.from({ length: count }, (_, i) => (i % 9 === 4 && i < 72 ? String(1000 - i) : `k-${i}`)), first: ['933', '942', '951', '960', '969', '978', '987', '996', 'k-0'] },
])('contributions of a large contract, $ids (a persistent map seen as a read-only object)', ({ idList, first }) => {
  const history = historyOf(idList);
  const states = evolvedStates(history);
  const last = states[states.length - 1];

  it('reads as the plain object the fold writes in place: keys in the same order, values, JSON and deep equality', () => {
    const folded = fold(history) as RegisteredContract;
    expect(Object.keys(last.contributions)).toEqual(Object.keys(folded.contributions));
    expect(Object.keys(last.contributions).slice(0, first.length)).toEqual(first);
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
    expect(last.contributions['k-0'].verdict).toBe('verified');
  });

  it('leaves every earlier state as it was: each state equals the fold of its own prefix', () => {
    states.forEach((s, i) => expect(plain(s.contributions)).toEqual(plain((fold(history.slice(0, i + 1)) as RegisteredContract).contributions)));
    // the state before the verification still has the contribution unverified
    expect(states[states.length - 2].contributions['k-0'].verdict).toBeNull();
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
