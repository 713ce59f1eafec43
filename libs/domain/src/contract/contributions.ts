import type { ContributionState } from './state';

/** A contract's contributions by id: read-only, like the rest of the folded state. */
export type Contributions = Readonly<Record<string, ContributionState>>;

/**
 * From this many contributions on, `evolve` keeps a contract's contributions in a persistent map
 * seen through a read-only view, instead of copying a plain object at every event.
 *
 * Why: a plain object of ~100 properties is a V8 dictionary; spreading it took ~25 µs and ~6 kB
 * (measured on Node 20), and the service's write side did that at every command, on states it
 * keeps: those copies were most of what survived its young-generation collections. Below this
 * size a plain object is as fast and reads faster.
 */
export const MAP_VIEW_FROM = 32;

/**
 * Entries written since the base was last copied. A write copies these (two arrays) and, once
 * there are this many, folds them into a new base (a copy of the whole): a write then costs
 * O(n / DELTA_MAX + DELTA_MAX) instead of O(n), and the versions share the base.
 *
 * 64, and arrays, because the copies a write leaves are kept with the state: they survive the
 * service's young-generation collections, whose pauses grow with what survives. A `Map` delta of
 * 16 (before 2026-12-02) had the base rebuilt as a whole `Map` every 16 writes: sampled, 1.7 of
 * the 7.6 KB a hire left to survive; arrays of up to 64, 0.6 of 6.4 KB. A read scans at most 64 ids.
 */
export const DELTA_MAX = 64;

const LAYERS = Symbol('sroi.contributions.layers');

/**
 * A version: `base` and the delta (`deltaIds`, `deltaValues`: an entry's id and value at the same
 * index) are never written once the version exists. An entry of the delta replaces the one of
 * `base` with its id, at its place; the others follow the base's, in the order they were first
 * written. `indexKeys`: one of the ids is an array index (see orderedKeys).
 */
interface Layers {
  readonly base: ReadonlyMap<string, ContributionState>;
  readonly deltaIds: readonly string[];
  readonly deltaValues: readonly ContributionState[];
  readonly indexKeys: boolean;
}

const NONE: readonly never[] = [];

/** Whether `key` is an array index, a key that plain objects list before the others. */
function isIndexKey(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4_294_967_295;
}

function lookup(l: Layers, key: string): ContributionState | undefined {
  const i = l.deltaIds.indexOf(key);
  return i >= 0 ? l.deltaValues[i] : l.base.get(key);
}

/** The keys in insertion order (an entry replaced keeps its place). */
function insertionKeys(l: Layers): string[] {
  const keys = [...l.base.keys()];
  for (const k of l.deltaIds) if (!l.base.has(k)) keys.push(k);
  return keys;
}

/** The keys in the order a plain object built by the same writes lists them. */
function orderedKeys(l: Layers): string[] {
  const keys = insertionKeys(l);
  if (!l.indexKeys) return keys;
  const index = keys.filter(isIndexKey).sort((a, b) => Number(a) - Number(b));
  return [...index, ...keys.filter((k) => !isIndexKey(k))];
}

/**
 * The view: reads like a plain read-only object (property access, `in`, `Object.keys/values/
 * entries`, `for…in`, spread, `JSON.stringify`, deep equality), refuses every write (a TypeError
 * in strict code). Not structured-cloneable, as no Proxy is.
 */
const VIEW: ProxyHandler<Layers> = {
  // A contribution is never undefined: `lookup` finding none means the key is not an id.
  get: (l, key) => (key === LAYERS ? l : ((typeof key === 'string' ? lookup(l, key) : undefined) ?? Reflect.get(Object.prototype, key))),
  has: (l, key) => (typeof key === 'string' && lookup(l, key) !== undefined) || key in Object.prototype,
  ownKeys: (l) => orderedKeys(l),
  getOwnPropertyDescriptor: (l, key) => {
    const value = typeof key === 'string' ? lookup(l, key) : undefined;
    return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
  },
  getPrototypeOf: () => Object.prototype,
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
  setPrototypeOf: () => false,
  preventExtensions: () => false,
};

function view(layers: Layers): Contributions {
  return new Proxy(layers, VIEW) as unknown as Contributions;
}

function layersOf(contributions: Contributions): Layers | undefined {
  return (contributions as unknown as { [LAYERS]?: Layers })[LAYERS];
}

/**
 * The contribution with this id, or undefined. Own entries only: `contributions[id]` would find
 * what every object inherits (`constructor`, `toString`, `__proto__`...) under an id no
 * contribution has. A persistent view's entry is read from its layers, not through the view's
 * property look-up, which falls back to what objects inherit.
 */
export function contributionOf(contributions: Contributions, id: string): ContributionState | undefined {
  const l = layersOf(contributions);
  if (l !== undefined) return lookup(l, id);
  return Object.prototype.hasOwnProperty.call(contributions, id) ? contributions[id] : undefined;
}

/** `{ ...contributions, [c.id]: c }`, as a view from {@link MAP_VIEW_FROM} contributions on. */
export function contributionsWith(contributions: Contributions, c: ContributionState): Contributions {
  const l = layersOf(contributions);
  if (l === undefined) {
    let size = 0;
    for (const _ in contributions) if (++size >= MAP_VIEW_FROM - 1) break;
    if (size < MAP_VIEW_FROM - 1) return { ...contributions, [c.id]: c };
    const base = new Map(Object.entries(contributions)).set(c.id, c);
    return view({ base, deltaIds: NONE, deltaValues: NONE, indexKeys: [...base.keys()].some(isIndexKey) });
  }
  const indexKeys = l.indexKeys || isIndexKey(c.id);
  const at = l.deltaIds.indexOf(c.id);
  if (at >= 0) {
    // written again: the ids stay as they are (shared), the entry is replaced in a copy of the values
    const deltaValues = l.deltaValues.slice();
    deltaValues[at] = c;
    return view({ base: l.base, deltaIds: l.deltaIds, deltaValues, indexKeys });
  }
  if (l.deltaIds.length < DELTA_MAX) return view({ base: l.base, deltaIds: [...l.deltaIds, c.id], deltaValues: [...l.deltaValues, c], indexKeys });
  const base = new Map(l.base);
  for (let i = 0; i < l.deltaIds.length; i++) base.set(l.deltaIds[i], l.deltaValues[i]);
  return view({ base: base.set(c.id, c), deltaIds: NONE, deltaValues: NONE, indexKeys });
}

/** The contributions in the order `Object.values` gives them, without going through the view's traps. */
export function contributionList(contributions: Contributions): ContributionState[] {
  const l = layersOf(contributions);
  if (l === undefined) return Object.values(contributions);
  if (l.indexKeys) return orderedKeys(l).map((k) => lookup(l, k) as ContributionState);
  const values: ContributionState[] = [];
  const { deltaIds, deltaValues } = l;
  // Entries of the base written again since (a change, a verification) take their place in it.
  if (deltaIds.some((k) => l.base.has(k))) for (const [k, v] of l.base) values.push(lookup(l, k) ?? v);
  else for (const v of l.base.values()) values.push(v);
  for (let i = 0; i < deltaIds.length; i++) if (!l.base.has(deltaIds[i])) values.push(deltaValues[i]);
  return values;
}
