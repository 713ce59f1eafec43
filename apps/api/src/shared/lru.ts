/**
 * A small least-recently-used map, bounded by a number of entries and, optionally, by a total
 * weight (e.g. the length of cached strings): the least recently used entries go first.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  private readonly weights = new Map<K, number>();
  private total = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxWeight = Number.POSITIVE_INFINITY,
    private readonly weigh?: (value: V) => number,
  ) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** The value without making it the most recently used. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.delete(key);
    this.map.set(key, value);
    if (this.weigh) {
      const w = this.weigh(value);
      this.weights.set(key, w);
      this.total += w;
    }
    while (this.map.size > this.capacity || (this.total > this.maxWeight && this.map.size > 1)) this.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    if (!this.map.delete(key)) return;
    const w = this.weights.get(key);
    if (w !== undefined) {
      this.total -= w;
      this.weights.delete(key);
    }
  }

  get size(): number {
    return this.map.size;
  }

  /** The total weight of the entries (0 without a weigher). */
  get weight(): number {
    return this.total;
  }
}
