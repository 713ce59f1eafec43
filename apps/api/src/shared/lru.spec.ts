import { Lru } from './lru';

const keys = <V>(lru: Lru<string, V>, candidates: string[]): string[] => candidates.filter((k) => lru.peek(k) !== undefined);

describe('Lru', () => {
  it('evicts the least recently used entry when full; a hit on an old entry keeps it', () => {
    const lru = new Lru<string, number>(8);
    const all = 'abcdefgh'.split('');
    all.forEach((k, i) => lru.set(k, i));
    expect(lru.get('a')).toBe(0);
    lru.set('i', 8);
    expect(lru.size).toBe(8);
    expect(keys(lru, [...all, 'i'])).toEqual(['a', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
  });

  it('never evicts an entry read more often than the cache fills up', () => {
    const lru = new Lru<string, number>(8);
    lru.set('hot', -1);
    for (let i = 0; i < 1_000; i++) {
      lru.set(`k${i}`, i);
      if (i % 2 === 1) expect(lru.get('hot')).toBe(-1);
    }
    expect(lru.peek('hot')).toBe(-1);
    expect(lru.size).toBe(8);
    // the other seven are the newest insertions
    expect(keys(lru, Array.from({ length: 1_000 }, (_, i) => `k${i}`))).toEqual(['k993', 'k994', 'k995', 'k996', 'k997', 'k998', 'k999']);
  });

  it('peek does not count as a use', () => {
    const lru = new Lru<string, number>(4);
    ['a', 'b', 'c', 'd'].forEach((k, i) => lru.set(k, i));
    expect(lru.peek('a')).toBe(0);
    lru.set('e', 4);
    expect(lru.peek('a')).toBeUndefined();
  });

  it('is bounded by total weight too, keeping at least the newest entry', () => {
    const lru = new Lru<string, string>(100, 10, (s) => s.length);
    lru.set('x', 'aaaa');
    lru.set('y', 'bbbb');
    expect(lru.weight).toBe(8);
    lru.set('z', 'cccc');
    expect(keys(lru, ['x', 'y', 'z'])).toEqual(['y', 'z']);
    expect(lru.weight).toBe(8);
    lru.set('y', 'bb');
    expect(lru.weight).toBe(6);
    lru.delete('z');
    expect(lru.weight).toBe(2);
    lru.set('big', 'w'.repeat(50));
    expect(keys(lru, ['y', 'big'])).toEqual(['big']);
    expect(lru.weight).toBe(50);
    expect(lru.size).toBe(1);
  });

  it('makes room for a new entry heavier than the rest by evicting every other entry, used ones too, never the new one', () => {
    const lru = new Lru<string, string>(100, 10, (s) => s.length);
    lru.set('a', 'aaaa');
    lru.set('b', 'bbbb');
    expect(lru.get('a')).toBe('aaaa');
    expect(lru.get('b')).toBe('bbbb');
    lru.set('c', 'cccccccc');
    expect(keys(lru, ['a', 'b', 'c'])).toEqual(['c']);
    expect(lru.weight).toBe(8);
  });

  it('gives an entry used since eviction last passed it a second chance, even over a newer entry never used (CLOCK)', () => {
    const lru = new Lru<string, number>(3);
    ['a', 'b', 'c'].forEach((k, i) => lru.set(k, i));
    lru.get('c');
    lru.get('a');
    lru.set('d', 3); // 'a' and 'c' used: 'b', the oldest one not used, goes
    expect(keys(lru, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);
    lru.set('e', 4); // 'c' still marked (eviction stopped before it), 'd' never read: 'd' goes
    expect(keys(lru, ['a', 'b', 'c', 'd', 'e'])).toEqual(['a', 'c', 'e']);
    lru.set('f', 5); // every mark spent: the oldest in the walk's order, 'a', goes
    expect(keys(lru, ['a', 'b', 'c', 'd', 'e', 'f'])).toEqual(['c', 'e', 'f']);
  });

  it('keeps nothing with no capacity (and does not loop)', () => {
    const lru = new Lru<string, number>(0);
    lru.set('a', 1);
    expect(lru.size).toBe(0);
    expect(lru.get('a')).toBeUndefined();
  });
});
