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
});
