import { evolve, fold, initialState, isRegistered, type ContractEvent, type ContractState, type ContributionState, type RegisteredContract } from '@sroi/domain';
import type { RecordedEvent } from '@sroi/event-store';
import {
  contractIdOf,
  contributionIdOf,
  CREATES_CONTRIBUTION,
  decodeContractEvent,
  isContractStream,
  MalformedContractEventError,
  REFERS_TO_CONTRIBUTION,
} from './contract-events';
import type { ContractTables, StoredContract } from './contract-tables';

/** A projection the runner drives: it applies a batch inside the runner's transaction. */
export interface Projection {
  /** Name of its checkpoint. */
  readonly name: string;
  /**
   * Applies the events (every event of $all after the checkpoint, in order; the projection picks
   * its own) to its tables. Runs inside a transaction; throws {@link MalformedContractEventError}
   * naming the event it could not apply, and then the transaction is rolled back.
   */
  apply(events: readonly RecordedEvent[]): void;
  /** The transaction committed: in-memory caches may keep what the batch produced. */
  committed(): void;
  /** The transaction rolled back: forget what the batch produced. */
  discarded(): void;
}

interface Working extends StoredContract {
  /** Header JSON as stored, or null once the header changed in this batch. */
  headerJson: string | null;
  /** Whether the header must be written (it changed in this batch). */
  headerDirty: boolean;
  /** Whether the contract was registered in this batch (its row is inserted, not updated). */
  inserted: boolean;
  /** Contributions read or changed in this batch, by id (`state.contributions` holds at most one). */
  known: Map<string, ContributionState>;
  /** Ids of the contributions of `known` that changed in this batch. */
  dirty: Set<string>;
}

interface Cached extends StoredContract {
  headerJson: string;
}

export interface ContractProjectionOptions {
  /** Contracts whose header stays parsed in memory between batches (LRU). Default 1,000. */
  cacheSize?: number;
}

/**
 * The contract projection: per contract, the state folded by the domain's `evolve` (header row +
 * contribution rows, see {@link ContractTables}), its revision, position and recording instant,
 * and the indexed columns of the portfolio. Figures are not computed here: they depend on the
 * date asked, so the queries compute them (and cache a snapshot per date).
 *
 * Each event is checked before it is folded: the stream's revisions follow each other from 0,
 * the first event registers the contract of the stream, the data has the fields the event needs,
 * a contribution is created once and referred to only once created. Anything else stops the
 * projection (a read model that skips an event is silently wrong for ever).
 *
 * `evolve` is applied to a partial state: the header and only the contribution the event names.
 * That holds because `evolve` touches no other contribution; the tests compare every contract's
 * state with `fold` over its whole stream to keep it so.
 */
export class ContractProjection implements Projection {
  readonly name = 'contracts';
  private readonly cache = new Map<string, Cached>();
  private readonly work = new Map<string, Working>();
  private readonly cacheSize: number;

  constructor(
    private readonly tables: ContractTables,
    options: ContractProjectionOptions = {},
  ) {
    this.cacheSize = options.cacheSize ?? 1_000;
  }

  apply(events: readonly RecordedEvent[]): void {
    for (let i = 0; i < events.length; ) {
      const event = events[i];
      if (!isContractStream(event.streamId)) {
        i++;
        continue;
      }
      // A run of a new stream's events from revision 0 (a rebuild reads whole streams; live, a
      // registration and what follows it in the same batch) is checked, then folded in one go.
      let end = i + 1;
      if (event.revision === 0n) while (end < events.length && events[end].streamId === event.streamId) end++;
      const at = i;
      try {
        if (end - at > 1 && this.applyNewStream(events, at, end)) i = end;
        else {
          this.applyOne(events[at]);
          i = at + 1;
        }
      } catch (error) {
        if (error instanceof MalformedContractEventError) throw error;
        throw new MalformedContractEventError(events[at], error instanceof Error ? error.message : String(error), { cause: error });
      }
    }
    this.flush();
  }

  committed(): void {
    for (const [id, w] of this.work) {
      this.cache.delete(id);
      this.cache.set(id, {
        state: { ...this.tables.shareCatalogues(w.state), contributions: {} },
        revision: w.revision,
        position: w.position,
        updatedAt: w.updatedAt,
        headerJson: w.headerJson as string,
      });
    }
    this.work.clear();
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
  }

  discarded(): void {
    this.work.clear();
    this.cache.clear();
    this.tables.forgetUncommitted();
  }

  private open(contractId: string): Working | null {
    const cached = this.cache.get(contractId) ?? this.tables.contractHeader(contractId);
    if (!cached) return null;
    const w: Working = { ...cached, state: { ...cached.state, contributions: {} }, known: new Map(), dirty: new Set(), headerDirty: false, inserted: false };
    this.work.set(contractId, w);
    return w;
  }

  private applyOne(recorded: RecordedEvent): void {
    const fail = (reason: string): never => {
      throw new MalformedContractEventError(recorded, reason);
    };
    const contractId = contractIdOf(recorded.streamId);
    const w = this.work.get(contractId) ?? this.open(contractId);
    const expected = w ? w.revision + 1 : 0;
    if (recorded.revision !== BigInt(expected)) {
      fail(w ? `expected revision ${expected} of the stream next` : `the projection holds no earlier event of this stream (expected revision 0)`);
    }
    const event = decodeContractEvent(recorded);
    let before: ContractState = initialState;
    let contributionId: string | undefined;
    let known: ContributionState | undefined;
    if (!w) {
      if (event.type !== 'ContractRegistered') fail('the first event of a contract stream must be ContractRegistered');
      else if (event.data.contractId !== contractId) fail(`it registers contract '${event.data.contractId}' in the stream of '${contractId}'`);
    } else {
      if (event.type === 'ContractRegistered') fail('the contract is registered already');
      contributionId = contributionIdOf(event);
      if (contributionId !== undefined) {
        known = w.known.get(contributionId) ?? this.tables.contribution(contractId, contributionId);
        if (known && CREATES_CONTRIBUTION.has(event.type)) fail(`contribution '${contributionId}' exists already`);
        if (!known && REFERS_TO_CONTRIBUTION.has(event.type)) fail(`it refers to unknown contribution '${contributionId}'`);
      }
      // evolve reads and writes only the contribution the event names: give it that one alone, so
      // that its copy of the contributions is O(1) whatever the size of the contract.
      before = { ...w.state, contributions: known ? { [contributionId as string]: known } : {} };
    }
    const after = evolve(before, event);
    if (!isRegistered(after)) return fail('the folded state is not a registered contract');
    const target: Working = w ?? {
      state: after,
      revision: 0,
      position: '',
      updatedAt: '',
      headerJson: null,
      known: new Map(),
      dirty: new Set(),
      headerDirty: true,
      inserted: true,
    };
    if (w && headerChanged(w.state, after)) {
      target.headerJson = null;
      target.headerDirty = true;
    }
    if (isRegistered(before) && after.contributions !== before.contributions) {
      for (const [id, c] of Object.entries(after.contributions)) {
        if (before.contributions[id] !== c) {
          target.known.set(id, c);
          target.dirty.add(id);
        }
      }
    } else if (!isRegistered(before)) {
      for (const [id, c] of Object.entries(after.contributions)) {
        target.known.set(id, c);
        target.dirty.add(id);
      }
    }
    if (known && contributionId !== undefined && !target.known.has(contributionId)) target.known.set(contributionId, known);
    target.state = after;
    target.revision = expected;
    target.position = String(recorded.position);
    target.updatedAt = recorded.recordedAt;
    if (!w) this.work.set(contractId, target);
  }

  /**
   * Applies events[from, to) of one stream, from its revision 0, with the domain's in-place `fold`
   * instead of one `evolve` per event: every check of {@link applyOne} is made first, on the run
   * (a contribution exists once an event created it: evolve never removes one). False when the
   * projection holds the contract already (its events then go one by one and fail there).
   */
  private applyNewStream(events: readonly RecordedEvent[], from: number, to: number): boolean {
    const contractId = contractIdOf(events[from].streamId);
    if (this.work.has(contractId) || this.cache.has(contractId) || this.tables.hasContract(contractId)) return false;
    const decoded = new Array<ContractEvent>(to - from);
    const created = new Set<string>();
    for (let i = from; i < to; i++) {
      const recorded = events[i];
      const fail = (reason: string): never => {
        throw new MalformedContractEventError(recorded, reason);
      };
      const revision = i - from;
      if (recorded.revision !== BigInt(revision)) {
        fail(revision === 0 ? 'the projection holds no earlier event of this stream (expected revision 0)' : `expected revision ${revision} of the stream next`);
      }
      const event = decodeContractEvent(recorded);
      if (revision === 0) {
        if (event.type !== 'ContractRegistered') fail('the first event of a contract stream must be ContractRegistered');
        else if (event.data.contractId !== contractId) fail(`it registers contract '${event.data.contractId}' in the stream of '${contractId}'`);
      } else {
        if (event.type === 'ContractRegistered') fail('the contract is registered already');
        const contributionId = contributionIdOf(event);
        if (contributionId !== undefined) {
          const known = created.has(contributionId);
          if (known && CREATES_CONTRIBUTION.has(event.type)) fail(`contribution '${contributionId}' exists already`);
          if (!known && REFERS_TO_CONTRIBUTION.has(event.type)) fail(`it refers to unknown contribution '${contributionId}'`);
          if (CREATES_CONTRIBUTION.has(event.type)) created.add(contributionId);
        }
      }
      decoded[revision] = event;
    }
    let state: ContractState;
    try {
      state = fold(decoded);
    } catch {
      return false; // one by one, the failure is then reported with the event that caused it
    }
    if (!isRegistered(state)) return false;
    const last = events[to - 1];
    this.work.set(contractId, {
      state,
      revision: to - from - 1,
      position: String(last.position),
      updatedAt: last.recordedAt,
      headerJson: null,
      headerDirty: true,
      inserted: true,
      known: new Map(Object.entries(state.contributions)),
      dirty: new Set(Object.keys(state.contributions)),
    });
    return true;
  }

  /** Writes what the batch changed: one row per contract touched, one per contribution changed. */
  private flush(): void {
    // In key order: consecutive writes then land on the same or neighbouring B-tree pages (a batch
    // of a large log touches contracts all over the file), which keeps the page cache effective.
    const contracts = [...this.work.values()].sort((a, b) => compareKeys(a.state.contractId, b.state.contractId));
    for (const w of contracts) {
      w.headerJson ??= this.tables.encodeHeader(w.state);
      this.tables.writeContract(w, w.inserted, w.headerDirty ? w.headerJson : null);
      const ids = w.dirty.size > 1 ? [...w.dirty].sort(compareKeys) : w.dirty;
      for (const id of ids) this.tables.writeContribution(w.state.contractId, w.known.get(id) as ContributionState);
      w.dirty.clear();
    }
  }
}

/** Orders strings as SQLite's default BINARY collation does for ASCII keys (by UTF-16 code unit otherwise: only locality depends on it). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether anything but the contributions and the event counter differs (by reference: evolve copies what it changes). */
function headerChanged(before: RegisteredContract, after: RegisteredContract): boolean {
  for (const key of Object.keys(after) as (keyof RegisteredContract)[]) {
    if (key !== 'contributions' && key !== 'seq' && before[key] !== after[key]) return true;
  }
  return Object.keys(before).length !== Object.keys(after).length;
}
