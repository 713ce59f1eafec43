/**
 * A small least-recently-used map, bounded by a number of entries and, optionally, by a total
 * weight (e.g. the length of cached strings): the least recently used entries go first.
 *
 * Recency is kept the CLOCK way (second chance): a hit only marks its entry used; eviction walks
 * the entries from the oldest insertion, moves a used one to the back (unmarked) and evicts the
 * first unused one. A hit used to take the entry out of the Map and put it back (three Map
 * operations, and a table that fills with deleted slots and rehashes); on the status read's
 * hot path those were ~9 % of the service's CPU (perf). Hits now cost one lookup; the order of
 * eviction differs from strict LRU only among entries used since the last pass.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  private total = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxWeight = Number.POSITIVE_INFINITY,
    private readonly weigh?: (value: V) => number,
  ) {}

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.value;
  }

  /** The value without making it the most recently used. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Sets the value as the newest entry; it is never the one evicted to make room. */
  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh ? this.weigh(value) : 0;
    this.map.set(key, { value, weight, used: false });
    this.total += weight;
    while (this.map.size > this.capacity || (this.total > this.maxWeight && this.map.size > 1)) {
      const [oldest, entry] = this.map.entries().next().value as [K, Entry<V>];
      if ((oldest === key && this.map.size > 1) || entry.used) {
        // a second chance: to the back, unmarked (the newest entry goes round, and goes only when no capacity is left for it at all)
        entry.used = false;
        this.map.delete(oldest);
        this.map.set(oldest, entry);
      } else {
        this.delete(oldest);
      }
    }
  }

  delete(key: K): void {
    const entry = this.map.get(key);
    if (entry === undefined) return;
    this.map.delete(key);
    this.total -= entry.weight;
  }

  get size(): number {
    return this.map.size;
  }

  /** The total weight of the entries (0 without a weigher). */
  get weight(): number {
    return this.total;
  }
}

interface Entry<V> {
  value: V;
  weight: number;
  /** read since it was set, or since eviction last passed it */
  used: boolean;
}
