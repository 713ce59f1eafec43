/**
 * The pure mapper from internal contract events to public integration events.
 *
 * It folds the contract with the domain's own `evolve` and values contributions with the domain's
 * own `figuresOf`, so the public figures are exactly the ledger's. Per contract it keeps the folded
 * state, the obligation status it last emitted, and a cache of every contribution's realised value
 * on the last date seen, so that after an event only the contributions whose value can have changed
 * are valued again (the one the event names, and, when the date moves, the placements running and
 * the one-offs dated in between). A catalogue migration or a period change values them all again.
 *
 * Besides the contract's own events it reads the observations of its obligation stream
 * (`obligation-<contractId>`, `ObligationStatusObserved`), which the app appends when the date
 * alone changed the status: those yield an `obligation.status-changed` only (see mapStatusObservation).
 */
import {
  CONTRACT_EVENT_TYPES,
  assertPseudonymousRef,
  basisPointsToPercentage,
  contributionList,
  contributionOf,
  evolve,
  figuresOf,
  IncrementalFold,
  findBlock,
  initialState,
  isRegistered,
  isValidDate,
  maxDate,
  minDate,
  obligationCents,
  statusLabel,
  valueInForce,
  type CatalogueVersionRef,
  type CataloguePeriod,
  type ContractEvent,
  type ContractState,
  type ContractStatus,
  type ContributionFigures,
  type ContributionState,
  type RegisteredContract,
} from '@sroi/domain';
import type { PublicEventType } from './envelope';
import type {
  BlockRef,
  CatalogueRef,
  ContributionKind,
  ContributionRecordedData,
  ObligationStatus,
  PublicEvent,
  PublicEventDataMap,
  Valuation,
} from './events';

/** Contract streams are `contract-<contractId>`; with the obligation streams below, every other stream yields nothing. */
export const CONTRACT_STREAM_PREFIX = 'contract-';

/**
 * Obligation streams are `obligation-<contractId>`: the app's observations that the contract's
 * status changed with the date alone (no contract event), one `ObligationStatusObserved` per change.
 */
export const OBLIGATION_STREAM_PREFIX = 'obligation-';
export const OBLIGATION_STATUS_OBSERVED = 'ObligationStatusObserved';

/** The data of an `ObligationStatusObserved` event (schemaVersion 1). */
export interface ObligationStatusObservedData {
  readonly contractId: string;
  /** the date the status was seen on ('YYYY-MM-DD', Europe/Amsterdam) */
  readonly asOf: string;
  /** the status the observer computed: informative only, the mapper computes its own */
  readonly status: string;
}

/** An internal event as the mapper reads it from the store. */
export interface SourceEvent {
  readonly streamId: string;
  /** the internal event's id: the seed of the public events' stable ids */
  readonly id: string;
  /** its global position, as a decimal string */
  readonly position: string;
  /** the instant it was recorded, ISO-8601 UTC */
  readonly recordedAt: string;
  readonly event: ContractEvent | { readonly type: string; readonly schemaVersion?: number; readonly data?: unknown };
}

export interface MapperOptions {
  /** The id of the `index`-th public event derived from the internal event `sourceEventId` (the app: UUIDv5). */
  readonly idFor: (sourceEventId: string, index: number) => string;
  /** The Europe/Amsterdam calendar date of an instant ('YYYY-MM-DD'); `amsterdamDateOf` will do. */
  readonly dateOf: (instant: string) => string;
  /**
   * The contract state after `event`, which follows `before` in the contract's stream: by default
   * `evolve(before, event)`. A consumer that already holds that state, folded from the same stream
   * by the domain, may give it instead (the same content; no copy is made and nothing is changed
   * in it), so the two share it in memory.
   */
  readonly advance?: (before: ContractState, event: ContractEvent, source: SourceEvent) => ContractState;
}

/**
 * The realised value of every contribution on `asOf`, valid for the contract state `owner` only.
 * It is updated in place by the next mapping (which takes it over), so an older mapper state that
 * is mapped again finds it owned by another state and values everything afresh.
 */
interface RealisedCache {
  owner: ContractState | null;
  asOf: string;
  periods: readonly CataloguePeriod[];
  startDate: string;
  endDate: string;
  readonly values: Map<string, number>;
  total: number;
  obligation: { valueCents: number; basisPoints: number; cents: number } | null;
}

export interface ContractMapperState {
  /** the contract folded (domain `evolve`) from the events mapped so far */
  readonly contract: ContractState;
  /** the obligation status last emitted; null before the first */
  readonly lastStatus: ObligationStatus | null;
  /** the date the status was last evaluated on (that of the last contract event or observation mapped); null before the registration */
  readonly statusAsOf: string | null;
  /** internal: realised values on the last date seen */
  readonly realised: unknown;
}

export interface MapResult {
  readonly state: ContractMapperState;
  /** the public events derived from the source event, in order (their index is the one given to `idFor`) */
  readonly events: PublicEvent[];
}

export const createMapperState = (): ContractMapperState => ({ contract: initialState, lastStatus: null, statusAsOf: null, realised: null });

/**
 * `state` with `contract` in place of its own: an equal state held elsewhere (the same stream,
 * folded by the domain as far), as `MapperOptions.advance` may give one. The realised values go
 * with it (taken over, as mapping takes them over), so that mapping on from the result values
 * again only what the next event changes.
 */
export function withContract(state: ContractMapperState, contract: ContractState): ContractMapperState {
  const cache = state.realised as RealisedCache | null;
  if (cache !== null && cache.owner === state.contract && isRegistered(contract)) {
    cache.owner = contract;
    cache.periods = contract.periods;
  }
  return { ...state, contract };
}

const CONTRACT_TYPES: ReadonlySet<string> = new Set<string>(CONTRACT_EVENT_TYPES);

/** True for a status observation of an obligation stream (see mapStatusObservation). */
export const isObservationSource = (source: Pick<SourceEvent, 'streamId' | 'event'>): boolean =>
  source.streamId.startsWith(OBLIGATION_STREAM_PREFIX) && source.event.type === OBLIGATION_STATUS_OBSERVED;

/** True for an event the mapper maps: a contract event of a contract stream, or a status observation (every other event yields nothing). */
export const isMappedSource = (source: Pick<SourceEvent, 'streamId' | 'event'>): boolean =>
  (source.streamId.startsWith(CONTRACT_STREAM_PREFIX) && CONTRACT_TYPES.has(source.event.type)) || isObservationSource(source);

class MappingError extends Error {
  override readonly name = 'MappingError';
}

/**
 * Folds one internal event into the mapper state of its contract and returns the public events
 * it yields (0..n). Pure and deterministic: the same stream mapped from revision 0 gives the same
 * envelopes, byte for byte. The state passed in is not changed observably (its internal cache may
 * be taken over by the returned state; mapping the old state again stays correct).
 *
 * Throws on an inconsistent history (an event naming an unknown contribution, a schemaVersion other
 * than 1, a candidateRef that looks like a BSN or a date): better to stop than to skip or leak.
 */
export function mapContractEvent(state: ContractMapperState | undefined, source: SourceEvent, options: MapperOptions): MapResult {
  const prev = state ?? createMapperState();
  if (isObservationSource(source)) return mapStatusObservation(prev, source, options);
  if (!isMappedSource(source)) return { state: prev, events: [] };
  const event = source.event as ContractEvent;
  if (event.schemaVersion !== undefined && event.schemaVersion !== 1) {
    throw new MappingError(`${event.type} has schemaVersion ${String(event.schemaVersion)}; this mapper reads version 1`);
  }
  const before = prev.contract;
  const contract = options.advance ? options.advance(before, event, source) : evolve(before, event);
  if (!isRegistered(contract)) return { state: { contract, lastStatus: prev.lastStatus, statusAsOf: prev.statusAsOf, realised: null }, events: [] };

  const asOf = options.dateOf(source.recordedAt);
  const touched = contributionIdOf(event);
  if (touched !== null && contributionOf(contract.contributions, touched) === undefined) {
    throw new MappingError(`${event.type} names contribution ${touched}, which the contract does not hold`);
  }
  const step = refresh(prev.realised as RealisedCache | null, before, contract, asOf, touched, source.recordedAt);

  const out: PublicEvent[] = [];
  const emit = <T extends PublicEventType>(type: T, data: PublicEventDataMap[T]): void => {
    out.push(envelope(contract, source, options.idFor(source.id, out.length), type, data));
  };
  const valuation = (): Valuation => valuationOf(contract, touched as string, asOf, step.touched);
  const ref = (): { contributionId: string; kind: ContributionKind } => {
    const x = contributionOf(contract.contributions, touched as string) as ContributionState;
    return { contributionId: x.id, kind: kindOf(x) };
  };

  switch (event.type) {
    case 'ContractRegistered': {
      const d = event.data;
      emit('contract.registered', {
        title: d.title,
        tenderReference: d.tenderReference,
        contractValueCents: d.contractValueCents,
        sroiPercentage: basisPointsToPercentage(d.sroiBasisPoints),
        sroiBasisPoints: d.sroiBasisPoints,
        obligationCents: obligationCents(d.contractValueCents, d.sroiBasisPoints),
        startDate: d.startDate,
        endDate: d.endDate,
        catalogue: catalogueRef(d.catalogue),
      });
      break;
    }
    case 'ContractValueChanged': {
      const d = event.data;
      emit('contract.changed', {
        change: 'value',
        effectiveDate: d.effectiveDate,
        contractValueCents: d.contractValueCents,
        previousValueCents: d.previousValueCents,
        obligationCents: obligationCents(d.contractValueCents, contract.sroiBasisPoints),
      });
      break;
    }
    case 'ContractPeriodChanged':
      emit('contract.changed', { change: 'period', endDate: event.data.endDate, previousEndDate: event.data.previousEndDate });
      break;
    case 'ContractCatalogueMigrated': {
      const d = event.data;
      const blockMapping: Record<string, string> = {};
      for (const k of Object.keys(d.blockMapping).sort()) blockMapping[k] = d.blockMapping[k];
      emit('contract.changed', { change: 'catalogue-migrated', effectiveDate: d.effectiveDate, from: catalogueRef(d.from), to: catalogueRef(d.catalogue), blockMapping });
      break;
    }
    case 'ContractClosed':
      emit('contract.changed', { change: 'closed' });
      break;
    case 'HireRecorded':
    case 'PurchaseRecorded':
    case 'KnowledgeSharingRecorded':
    case 'ActivityRecorded':
      emit('contribution.recorded', recordedData(contract, event, valuation()));
      break;
    case 'PlacementChanged':
      emit('contribution.changed', {
        ...ref(),
        change: 'placement-changed',
        effectiveDate: event.data.effectiveDate,
        hoursPerWeek: event.data.hoursPerWeek,
        permanent: event.data.permanent,
        valuation: valuation(),
      });
      break;
    case 'PlacementEnded':
      emit('contribution.changed', { ...ref(), change: 'placement-ended', endDate: event.data.endDate, valuation: valuation() });
      break;
    case 'AgreedValueRecorded':
      emit('contribution.changed', { ...ref(), change: 'agreed-value', agreedValueCents: event.data.valueCents, valuation: valuation() });
      break;
    case 'ContributionWithdrawn':
      emit('contribution.changed', { ...ref(), change: 'withdrawn', valuation: valuation() });
      break;
    case 'ContributionVerified': {
      const was = isRegistered(before) ? contributionOf(before.contributions, touched as string)?.verdict : null;
      emit('contribution.verified', { ...ref(), previousVerdict: was === 'rejected' ? 'rejected' : null, valuation: valuation() });
      break;
    }
    case 'ContributionRejected': {
      const was = isRegistered(before) ? contributionOf(before.contributions, touched as string)?.verdict : null;
      emit('contribution.rejected', { ...ref(), previousVerdict: was === 'verified' ? 'verified' : null, valuation: valuation() });
      break;
    }
  }

  // The obligation status on asOf, from the cached realised total; the full figures only when it changed.
  const cache = step.cache;
  const label = statusLabel(cache.total, obligationOf(cache, valueInForce(contract, asOf), contract.sroiBasisPoints), asOf, contract.startDate, contract.endDate);
  let lastStatus = prev.lastStatus;
  if (label !== lastStatus) {
    const full = step.full ?? figuresOf(contract, asOf, source.recordedAt);
    if (full.realisedCents !== cache.total) resync(cache, full);
    if (full.status !== lastStatus) {
      emit('obligation.status-changed', statusChanged(lastStatus, full));
      lastStatus = full.status;
    }
  }
  return { state: { contract, lastStatus, statusAsOf: asOf, realised: cache }, events: out };
}

/**
 * Maps a status observation (`ObligationStatusObserved` of `obligation-<contractId>`, data
 * `{ contractId, asOf, status }`): the app appends one when the date alone changed the contract's
 * status. `state` must be the contract's mapper state as of the observation's global position
 * (its contract events and earlier observations before it, in order). The status is computed
 * again here on `asOf`, with the contract as folded so far (knownAt = recordedAt); it yields one
 * `obligation.status-changed` when that differs from the status last emitted, nothing otherwise.
 *
 * Nothing either for a contract not registered or closed (closed contracts are not observed), or
 * when `asOf` is not later than the date the status was last evaluated on (a contract event of
 * that day or later has already said it). Deterministic, like the rest: the same observation on
 * the same state gives the same envelope. Throws on a malformed observation.
 */
export function mapStatusObservation(state: ContractMapperState | undefined, source: SourceEvent, options: MapperOptions): MapResult {
  const prev = state ?? createMapperState();
  if (!isObservationSource(source)) return { state: prev, events: [] };
  const { schemaVersion, data } = source.event as { schemaVersion?: number; data?: Partial<ObligationStatusObservedData> };
  if (schemaVersion !== undefined && schemaVersion !== 1) {
    throw new MappingError(`${OBLIGATION_STATUS_OBSERVED} has schemaVersion ${String(schemaVersion)}; this mapper reads version 1`);
  }
  const asOf = data?.asOf;
  if (!isValidDate(asOf)) throw new MappingError(`${OBLIGATION_STATUS_OBSERVED} has no valid asOf date: ${JSON.stringify(asOf)}`);
  const contract = prev.contract;
  if (!isRegistered(contract)) return { state: prev, events: [] };
  if (data?.contractId !== contract.contractId || source.streamId !== `${OBLIGATION_STREAM_PREFIX}${contract.contractId}`) {
    throw new MappingError(`${OBLIGATION_STATUS_OBSERVED} in '${source.streamId}' names contract ${String(data?.contractId)}, not ${contract.contractId}`);
  }
  if (contract.status === 'closed' || (prev.statusAsOf !== null && asOf <= prev.statusAsOf)) return { state: prev, events: [] };
  // The observation's own `status` is not trusted: it was computed by the observer from the read
  // models, which may have lagged behind the log, or before a contract event that came between its
  // decision and its append. This mapper's fold is the truth: when the two disagree, the status
  // computed here is the one published (and an observation that turns out not to change the
  // status yields nothing).
  const full = figuresOf(contract, asOf, source.recordedAt);
  const next: ContractMapperState = { contract, lastStatus: full.status, statusAsOf: asOf, realised: prev.realised };
  if (full.status === prev.lastStatus) return { state: next, events: [] };
  return { state: next, events: [envelope(contract, source, options.idFor(source.id, 0), 'obligation.status-changed', statusChanged(prev.lastStatus, full))] };
}

/** Maps a whole stream in order from `state` (a fresh contract by default): every event's public events, concatenated. */
export function mapContractStream(sources: Iterable<SourceEvent>, options: MapperOptions, state?: ContractMapperState): MapResult {
  let s = state;
  const events: PublicEvent[] = [];
  for (const source of sources) {
    const r = mapContractEvent(s, source, options);
    s = r.state;
    for (const e of r.events) events.push(e);
  }
  return { state: s ?? createMapperState(), events };
}

/**
 * The mapper state after `sources`, as {@link mapContractStream} leaves it, without building their
 * public events: the contract events are folded and the status is computed once at the end (and
 * once per status observation), not after every event. For a consumer that lost its state and
 * must catch up on events it has published before (the publisher's cache miss): mapping on from
 * the state returned gives, byte for byte, what mapping on from mapContractStream's state gives.
 * Makes the same checks of the events as mapping them.
 */
export function mapperStateAfter(sources: Iterable<SourceEvent>, options: Pick<MapperOptions, 'dateOf'>, state?: ContractMapperState): ContractMapperState {
  const fold = new MapperStateFold(options, state);
  for (const source of sources) fold.add(source);
  return fold.result();
}

/**
 * {@link mapperStateAfter} one source at a time, for a consumer that folds many contracts at once
 * from one pass over an interleaved log (the publisher's warm-up): `result()` after any number of
 * `add`s is what mapperStateAfter of those sources gives, and adding may go on after it.
 */
export class MapperStateFold {
  private settled: ContractMapperState;
  /** the contract, folded in place from `settled.contract` (see IncrementalFold: linear in the events) */
  private folding: IncrementalFold;
  /** the last contract event folded since `settled` was computed */
  private pending: SourceEvent | null = null;

  constructor(
    private readonly options: Pick<MapperOptions, 'dateOf'>,
    state?: ContractMapperState,
  ) {
    this.settled = state ?? createMapperState();
    this.folding = new IncrementalFold(this.settled.contract);
  }

  add(source: SourceEvent): void {
    if (isObservationSource(source)) {
      this.settle();
      this.settled = mapStatusObservation(this.settled, source, { idFor: () => '', dateOf: this.options.dateOf }).state;
      if (this.settled.contract !== this.folding.peek()) this.folding = new IncrementalFold(this.settled.contract);
      return;
    }
    if (!isMappedSource(source)) return;
    const event = source.event as ContractEvent;
    if (event.schemaVersion !== undefined && event.schemaVersion !== 1) {
      throw new MappingError(`${event.type} has schemaVersion ${String(event.schemaVersion)}; this mapper reads version 1`);
    }
    this.folding.add(event);
    const contract = this.folding.peek();
    const touched = contributionIdOf(event);
    if (isRegistered(contract) && touched !== null && contributionOf(contract.contributions, touched) === undefined) {
      throw new MappingError(`${event.type} names contribution ${touched}, which the contract does not hold`);
    }
    this.pending = source;
  }

  result(): ContractMapperState {
    this.settle();
    return this.settled;
  }

  private settle(): void {
    const pending = this.pending;
    if (pending === null) return;
    const contract = this.folding.state();
    if (!isRegistered(contract)) {
      this.settled = { contract, lastStatus: this.settled.lastStatus, statusAsOf: this.settled.statusAsOf, realised: null };
    } else {
      // The status emitted last is the status after the last event: mapping emits every change of it.
      const asOf = this.options.dateOf(pending.recordedAt);
      const full = figuresOf(contract, asOf, pending.recordedAt);
      // Its figures hold every contribution's realised value: kept, they spare the next mapping
      // (the publisher's first event of each contract after a start) valuing them all afresh.
      this.settled = { contract, lastStatus: full.status, statusAsOf: asOf, realised: fromFull(contract, full, asOf) };
    }
    this.pending = null;
  }
}

// ------------------------------------------------------------------------------------------------

function envelope<T extends PublicEventType>(contract: RegisteredContract, source: SourceEvent, id: string, type: T, data: PublicEventDataMap[T]): PublicEvent {
  return {
    id,
    type,
    schemaVersion: 1,
    sourcePosition: source.position,
    occurredAt: source.recordedAt,
    contractId: contract.contractId,
    municipality: contract.municipality,
    contractor: { kvk: contract.contractor.kvk, name: contract.contractor.name },
    data,
  } as PublicEvent;
}

function statusChanged(from: ObligationStatus | null, full: ContractStatus): PublicEventDataMap['obligation.status-changed'] {
  return {
    from,
    to: full.status,
    asOf: full.asOf,
    figures: {
      contractValueCents: full.contractValueCents,
      obligationCents: full.obligationCents,
      realisedCents: full.realisedCents,
      committedCents: full.committedCents,
      verifiedCents: full.verifiedCents,
      awaitingAgreement: full.awaitingAgreement,
      elapsedDays: full.elapsedDays,
      contractDays: full.contractDays,
    },
  };
}

function contributionIdOf(e: ContractEvent): string | null {
  switch (e.type) {
    case 'HireRecorded':
    case 'PlacementChanged':
    case 'PlacementEnded':
      return e.data.placementId;
    case 'PurchaseRecorded':
    case 'KnowledgeSharingRecorded':
    case 'ActivityRecorded':
    case 'AgreedValueRecorded':
    case 'ContributionVerified':
    case 'ContributionRejected':
    case 'ContributionWithdrawn':
      return e.data.contributionId;
    default:
      return null;
  }
}

const kindOf = (x: ContributionState): ContributionKind => (x.kind === 'placement' ? 'hire' : x.kind);

const catalogueRef = (r: CatalogueVersionRef): CatalogueRef => ({ id: r.catalogueId, version: r.version });

const isPerActivity = (x: ContributionState): boolean => x.kind === 'activity' && x.input === 'per-activity';

function blockRef(c: RegisteredContract, ref: CatalogueVersionRef, code: string): BlockRef {
  const version = c.periods.find((p) => p.catalogue.catalogueId === ref.catalogueId && p.catalogue.version === ref.version)?.catalogue;
  const b = version ? findBlock(version, code) : undefined;
  if (!b) throw new MappingError(`block ${code} of catalogue ${ref.catalogueId}/${ref.version} is not among the contract's catalogue versions`);
  return { code: b.code, category: b.category, nameNl: b.nameNl, nameEn: b.nameEn };
}

type RecordedEventOf = Extract<ContractEvent, { type: 'HireRecorded' | 'PurchaseRecorded' | 'KnowledgeSharingRecorded' | 'ActivityRecorded' }>;

function recordedData(c: RegisteredContract, e: RecordedEventOf, valuation: Valuation): ContributionRecordedData {
  const d = e.data;
  const common = { catalogue: catalogueRef(d.catalogue), block: blockRef(c, d.catalogue, d.blockCode) };
  switch (e.type) {
    case 'HireRecorded': {
      const h = e.data;
      return {
        contributionId: h.placementId,
        kind: 'hire',
        ...common,
        candidateRef: assertPseudonymousRef(h.candidateRef),
        bonusCodes: [...h.bonusCodes],
        startDate: h.startDate,
        endDate: h.endDate,
        hoursPerWeek: h.hoursPerWeek,
        permanent: h.permanent,
        valuation,
      };
    }
    case 'PurchaseRecorded': {
      const p = e.data;
      return {
        contributionId: p.contributionId,
        kind: 'purchase',
        ...common,
        date: p.date,
        supplier: { name: p.supplier.name, kvk: p.supplier.kvk ?? null },
        invoiceReference: p.invoiceReference,
        amountExclVatCents: p.amountExclVatCents,
        valuation,
      };
    }
    case 'KnowledgeSharingRecorded': {
      const k = e.data;
      return { contributionId: k.contributionId, kind: 'knowledge-sharing', ...common, date: k.date, hours: k.hours, costCents: k.costCents, valuation };
    }
    case 'ActivityRecorded': {
      const a = e.data;
      return { contributionId: a.contributionId, kind: 'activity', ...common, date: a.date, costCents: a.costCents, valuedBy: a.valuedBy, valuation };
    }
  }
}

/**
 * The contributions whose figures must be computed together to value `ids` exactly: the
 * per-activity contributions of the same day share the day's maximum, so they come as a group.
 */
function groupOf(c: RegisteredContract, ids: Iterable<string>): Record<string, ContributionState> {
  const members: Record<string, ContributionState> = {};
  let days: Set<string> | null = null;
  for (const id of ids) {
    const x = contributionOf(c.contributions, id) as ContributionState;
    members[id] = x;
    if (isPerActivity(x)) (days ??= new Set()).add((x as { date: string }).date);
  }
  if (days !== null) {
    for (const x of contributionList(c.contributions)) {
      if (isPerActivity(x) && days.has((x as { date: string }).date)) members[x.id] = x;
    }
  }
  return members;
}

/** figuresOf on the contract restricted to some contributions: their figures are exactly those of the whole contract. */
const figuresOfSome = (c: RegisteredContract, members: Record<string, ContributionState>, asOf: string): ContractStatus =>
  figuresOf({ ...c, contributions: members }, asOf, null);

function valuationOf(c: RegisteredContract, id: string, asOf: string, now: ContributionFigures | undefined): Valuation {
  const x = contributionOf(c.contributions, id) as ContributionState;
  const group = groupOf(c, [id]);
  const onAsOf = now ?? figuresOfSome(c, group, asOf).contributions.find((f) => f.contributionId === id);
  const atEnd = figuresOfSome(c, group, c.endDate).contributions.find((f) => f.contributionId === id);
  return {
    asOf,
    realisedCents: onAsOf?.realisedCents ?? 0,
    committedCents: onAsOf?.committedCents ?? 0,
    atContractEndCents: atEnd?.realisedCents ?? 0,
    awaitingAgreement: x.kind !== 'placement' && x.input === 'agreement' && x.agreedValueCents === null && !x.withdrawn,
  };
}

interface Step {
  readonly cache: RealisedCache;
  /** the full figures, when they were computed */
  readonly full?: ContractStatus;
  /** the figures on asOf of the contribution the event names, when they were computed */
  readonly touched?: ContributionFigures;
}

function fromFull(c: RegisteredContract, full: ContractStatus, asOf: string): RealisedCache {
  const values = new Map<string, number>();
  for (const f of full.contributions) values.set(f.contributionId, f.realisedCents);
  return { owner: c, asOf, periods: c.periods, startDate: c.startDate, endDate: c.endDate, values, total: full.realisedCents, obligation: null };
}

function resync(cache: RealisedCache, full: ContractStatus): void {
  cache.values.clear();
  for (const f of full.contributions) cache.values.set(f.contributionId, f.realisedCents);
  cache.total = full.realisedCents;
}

/** Brings the realised values up to date for `c` on `asOf`, valuing again only what can have changed. */
function refresh(prev: RealisedCache | null, before: ContractState, c: RegisteredContract, asOf: string, touched: string | null, knownAt: string): Step {
  const valid = prev !== null && prev.owner === before && prev.periods === c.periods && prev.startDate === c.startDate && prev.endDate === c.endDate;
  if (!valid) {
    const full = figuresOf(c, asOf, knownAt);
    return { cache: fromFull(c, full, asOf), full, touched: touched === null ? undefined : full.contributions.find((f) => f.contributionId === touched) };
  }
  const cache = prev;
  // taken over: invalid for every state until this update is complete
  cache.owner = null;
  const dirty: string[] = touched === null ? [] : [touched];
  if (cache.asOf !== asOf) {
    const lo = asOf < cache.asOf ? asOf : cache.asOf;
    const hi = asOf < cache.asOf ? cache.asOf : asOf;
    for (const x of contributionList(c.contributions)) {
      const id = x.id;
      // withdrawn and rejected contributions count 0 on every date
      if (id === touched || x.withdrawn || x.verdict === 'rejected') continue;
      if (x.kind === 'placement') {
        const first = maxDate(x.startDate, c.startDate);
        const last = minDate(x.endDate ?? c.endDate, c.endDate);
        // the days counted up to lo and up to hi are the same: none yet, or all of them
        if (hi < first || lo >= last) continue;
      } else if (!(x.date > lo && x.date <= hi)) continue;
      dirty.push(id);
    }
  }
  let now: ContributionFigures | undefined;
  if (dirty.length > 0) {
    const figures = figuresOfSome(c, groupOf(c, dirty), asOf);
    for (const f of figures.contributions) {
      cache.total += f.realisedCents - (cache.values.get(f.contributionId) ?? 0);
      cache.values.set(f.contributionId, f.realisedCents);
      if (f.contributionId === touched) now = f;
    }
  }
  cache.asOf = asOf;
  cache.owner = c;
  return { cache, touched: now };
}

function obligationOf(cache: RealisedCache, valueCents: number, basisPoints: number): number {
  const o = cache.obligation;
  if (o !== null && o.valueCents === valueCents && o.basisPoints === basisPoints) return o.cents;
  const cents = obligationCents(valueCents, basisPoints);
  cache.obligation = { valueCents, basisPoints, cents };
  return cents;
}
