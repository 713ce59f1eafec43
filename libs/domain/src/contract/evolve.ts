import { maxDate, compareDates } from '../shared/dates';
import { contributionOf, contributionsWith } from './contributions';
import type { CatalogueVersionRef } from '../catalogues/types';
import type { ContractEvent } from './events';
import {
  initialState,
  isRegistered,
  periodIndexOn,
  type ContractState,
  type ContributionState,
  type OneOffState,
  type PlacementState,
  type PlacementTerms,
  type RegisteredContract,
} from './state';

/*
 * Every contribution is held for as long as its contract's state is (the service keeps the states
 * of all its contracts): what each one holds is paid for by every full garbage collection, whose
 * marking time follows the number of objects. So the parts most contributions have alike are
 * shared: the catalogue version they name, an empty list of bonuses, and a purchase's description
 * made as one string. Nothing changes by value; states are never written to (readonly), and the
 * shared objects are frozen as well.
 */

/** The catalogue version references handed out so far, by catalogue id and version. */
const sharedRefs = new Map<string, Map<string, CatalogueVersionRef>>();
/** A bound on them, should events name implausibly many versions: past it, each keeps its own. */
const MAX_SHARED_REFS = 10_000;
let sharedRefCount = 0;

/** One frozen `{ catalogueId, version }` per catalogue version, whatever event named it. */
function sharedRef(ref: CatalogueVersionRef): CatalogueVersionRef {
  let byVersion = sharedRefs.get(ref.catalogueId);
  const known = byVersion?.get(ref.version);
  if (known !== undefined) return known;
  if (sharedRefCount >= MAX_SHARED_REFS) return ref;
  if (byVersion === undefined) sharedRefs.set(ref.catalogueId, (byVersion = new Map()));
  const shared = Object.freeze({ catalogueId: ref.catalogueId, version: ref.version });
  byVersion.set(ref.version, shared);
  sharedRefCount++;
  return shared;
}

const NO_BONUSES: readonly string[] = Object.freeze([]);

const sortTerms = (t: readonly PlacementTerms[]): PlacementTerms[] =>
  [...t].sort((a, b) => compareDates(a.effectiveDate, b.effectiveDate) || a.seq - b.seq);

/**
 * States and contribution maps that a fold made itself and that nobody else has seen yet: the
 * fold writes into these in place instead of copying them for every event (copying the whole map
 * made a fold quadratic). Set only while IncrementalFold.add runs; `evolve` on its own always copies.
 */
let ownedMaps: WeakSet<object> | null = null;

/** `{ ...state, seq }`, or the state itself with the new seq when `fold` owns it. */
function nextState(state: RegisteredContract, seq: number): RegisteredContract {
  if (ownedMaps !== null && ownedMaps.has(state)) {
    (state as { seq: number }).seq = seq;
    return state;
  }
  return { ...state, seq };
}

function withContribution(s: RegisteredContract, c: ContributionState): RegisteredContract {
  if (ownedMaps !== null) {
    if (ownedMaps.has(s.contributions)) {
      const owned = s.contributions as Record<string, ContributionState>;
      // Assigning to `__proto__` would set the object's prototype: that id is defined instead
      // (decide refuses it as a new id; this keeps the fold sound for an event written otherwise).
      if (c.id === '__proto__') Object.defineProperty(owned, c.id, { value: c, writable: true, enumerable: true, configurable: true });
      else owned[c.id] = c;
      return s;
    }
    // a persistent map is spread like a plain object (through its view), once per fold
    const copy = { ...s.contributions, [c.id]: c };
    ownedMaps.add(copy);
    return { ...s, contributions: copy };
  }
  return { ...s, contributions: contributionsWith(s.contributions, c) };
}

function update(s: RegisteredContract, id: string, f: (c: ContributionState) => ContributionState): RegisteredContract {
  const c = contributionOf(s.contributions, id);
  return c ? withContribution(s, f(c)) : s;
}

/** Folds one event into the state. Pure and total: unknown events leave the state unchanged. */
export function evolve(state: ContractState, event: ContractEvent): ContractState {
  const seq = state.seq + 1;
  if (event.type === 'ContractRegistered') {
    const d = event.data;
    return {
      status: 'open',
      contractId: d.contractId,
      municipality: d.municipality,
      title: d.title,
      tenderReference: d.tenderReference,
      contractor: d.contractor,
      sroiBasisPoints: d.sroiBasisPoints,
      startDate: d.startDate,
      endDate: d.endDate,
      values: [{ effectiveDate: d.startDate, valueCents: d.contractValueCents, seq }],
      periods: [{ effectiveFrom: d.startDate, catalogue: d.catalogue, mappingFromPrevious: {} }],
      contributions: {},
      seq,
      closeReason: null,
    };
  }
  if (!isRegistered(state)) return { ...state, seq };
  const s: RegisteredContract = nextState(state, seq);
  switch (event.type) {
    case 'ContractValueChanged':
      return { ...s, values: [...s.values, { effectiveDate: event.data.effectiveDate, valueCents: event.data.contractValueCents, seq }] };
    case 'ContractPeriodChanged':
      return { ...s, endDate: event.data.endDate };
    case 'ContractCatalogueMigrated':
      return {
        ...s,
        periods: [...s.periods, { effectiveFrom: event.data.effectiveDate, catalogue: event.data.catalogue, mappingFromPrevious: event.data.blockMapping }],
      };
    case 'HireRecorded': {
      const d = event.data;
      const p: PlacementState = {
        kind: 'placement',
        id: d.placementId,
        seq,
        periodIndex: periodIndexOn(s.periods, maxDate(d.startDate, s.startDate)),
        catalogue: sharedRef(d.catalogue),
        blockCode: d.blockCode,
        bonusCodes: d.bonusCodes.length === 0 ? NO_BONUSES : d.bonusCodes,
        candidateRef: d.candidateRef,
        startDate: d.startDate,
        endDate: d.endDate,
        ended: false,
        terms: [{ effectiveDate: d.startDate, hoursPerWeek: d.hoursPerWeek, permanent: d.permanent, seq }],
        withdrawn: false,
        verdict: null,
      };
      return withContribution(s, p);
    }
    case 'PlacementChanged':
      return update(s, event.data.placementId, (c) =>
        c.kind === 'placement'
          ? { ...c, terms: sortTerms([...c.terms, { effectiveDate: event.data.effectiveDate, hoursPerWeek: event.data.hoursPerWeek, permanent: event.data.permanent, seq }]) }
          : c,
      );
    case 'PlacementEnded':
      return update(s, event.data.placementId, (c) => (c.kind === 'placement' ? { ...c, endDate: event.data.endDate, ended: true } : c));
    case 'PurchaseRecorded': {
      const d = event.data;
      const c: OneOffState = {
        kind: 'purchase',
        id: d.contributionId,
        seq,
        periodIndex: periodIndexOn(s.periods, d.date),
        catalogue: sharedRef(d.catalogue),
        blockCode: d.blockCode,
        date: d.date,
        input: 'invoice',
        // Joined, not concatenated: one flat string rather than two cons strings kept as long as the state.
        description: [d.supplier.name, ', invoice ', d.invoiceReference].join(''),
        amountExclVatCents: d.amountExclVatCents,
        hours: null,
        costCents: null,
        agreedValueCents: null,
        supplier: d.supplier,
        invoiceReference: d.invoiceReference,
        withdrawn: false,
        verdict: null,
      };
      return withContribution(s, c);
    }
    case 'KnowledgeSharingRecorded': {
      const d = event.data;
      const c: OneOffState = {
        kind: 'knowledge-sharing',
        id: d.contributionId,
        seq,
        periodIndex: periodIndexOn(s.periods, d.date),
        catalogue: sharedRef(d.catalogue),
        blockCode: d.blockCode,
        date: d.date,
        input: d.hours !== null ? 'hours' : 'invoice',
        description: d.description,
        amountExclVatCents: null,
        hours: d.hours,
        costCents: d.costCents,
        agreedValueCents: null,
        withdrawn: false,
        verdict: null,
      };
      return withContribution(s, c);
    }
    case 'ActivityRecorded': {
      const d = event.data;
      const c: OneOffState = {
        kind: 'activity',
        id: d.contributionId,
        seq,
        periodIndex: periodIndexOn(s.periods, d.date),
        catalogue: sharedRef(d.catalogue),
        blockCode: d.blockCode,
        date: d.date,
        input: d.valuedBy,
        description: d.description,
        amountExclVatCents: null,
        hours: null,
        costCents: d.costCents,
        agreedValueCents: null,
        withdrawn: false,
        verdict: null,
      };
      return withContribution(s, c);
    }
    case 'AgreedValueRecorded':
      return update(s, event.data.contributionId, (c) => (c.kind === 'placement' ? c : { ...c, agreedValueCents: event.data.valueCents }));
    case 'ContributionVerified':
      return update(s, event.data.contributionId, (c) => ({ ...c, verdict: 'verified' }));
    case 'ContributionRejected':
      return update(s, event.data.contributionId, (c) => ({ ...c, verdict: 'rejected' }));
    case 'ContributionWithdrawn':
      return update(s, event.data.contributionId, (c) => ({ ...c, withdrawn: true }));
    case 'ContractClosed':
      return { ...s, status: 'closed', closeReason: event.data.reason };
    default:
      return s;
  }
}

/**
 * Folds a whole history from the initial state. The same as `events.reduce(evolve, from)`, in
 * linear time: the intermediate states are never seen, so the contribution map is written in place.
 */
export function fold(events: readonly ContractEvent[], from: ContractState = initialState): ContractState {
  const folding = new IncrementalFold(from);
  for (const e of events) folding.add(e);
  return folding.state();
}

/**
 * `fold`, one event at a time: for a consumer that folds many streams at once from one pass over
 * an interleaved log. Linear like `fold`, because the state and its contribution map stay this
 * folding's own (written in place) until `state()` hands them out; the next event after that
 * copies them once. Copying the map at every event made such a fold quadratic in the contract's
 * contributions.
 */
export class IncrementalFold {
  private owned = new WeakSet<object>();
  private current: ContractState;

  constructor(from: ContractState = initialState) {
    this.current = from;
  }

  add(event: ContractEvent): void {
    const outer = ownedMaps;
    ownedMaps = this.owned;
    try {
      this.current = evolve(this.current, event);
      // every state evolve returns here is one it just made, or the owned one it was given (the
      // first one is never `from`)
      this.owned.add(this.current);
    } finally {
      ownedMaps = outer;
    }
  }

  /** The state after the events added so far, to read now only: a later `add` may write into it. */
  peek(): ContractState {
    return this.current;
  }

  /** The state after the events added so far, handed out: nothing writes into it afterwards. */
  state(): ContractState {
    let s = this.current;
    // A map written in place has become a slow dictionary object: copy it once into a plain one,
    // as the copying evolve would have made it (same keys in the same order).
    if (isRegistered(s) && this.owned.has(s.contributions)) s = { ...s, contributions: { ...s.contributions } };
    this.owned = new WeakSet();
    this.current = s;
    return s;
  }
}
