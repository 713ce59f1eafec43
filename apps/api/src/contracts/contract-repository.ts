import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { evolve, initialState, isRegistered, type ContractEvent, type ContractState, type RecordedEvent as DomainRecordedEvent, type RegisteredContract } from '@sroi/domain';
import { StreamNotFoundError, type AllSubscription, type EventStore, type RecordedEvent } from '@sroi/event-store';
import type { Principal } from '../auth/principal';
import { canSeeContract } from '../auth/principal';
import { EVENT_STORE } from '../event-store/event-store.module';
import { notFound } from '../platform/problem';
import { CONTRACT_STREAM_PREFIX, contractStream, toDomainRecorded } from '../shared/event-codec';
import { Lru } from '../shared/lru';
import type { ContractStates } from '../projections/read-models';
import { readContractStateAt } from '../projections/stream-contract-states';

/**
 * Folded states kept for the write side and the status read: enough for 10,000 contracts and
 * some more (a folded 100-event contract takes about 40 kB of heap, so about 480 MB at most).
 */
const STATE_CACHE_ENTRIES = 12_000;

/** How long a read of the store's head serves further reads (ms); see `head()`. */
const HEAD_REUSE_MS = 1;
/** A watcher at most this far behind the head is caught up by one shared read (see catchUp). */
const CATCH_UP_EVENTS = 500;

export interface LoadedContract {
  state: ContractState;
  /** revision of the stream's last event, or null when the stream does not exist */
  revision: bigint | null;
}

/** A folded state as cached: with the store position it was last known to be current at. */
export interface CachedContract extends LoadedContract {
  revision: bigint;
  /** the store's head position read before the stream was last checked: no event of the stream lies in (its last event, checkedAt] */
  checkedAt: bigint;
  /** `recordedAt` of the stream's last event, when known (an own append learns it from the watcher) */
  lastRecordedAt: string | undefined;
}

export interface ContractHistory {
  records: RecordedEvent[];
  history: DomainRecordedEvent[];
  registered: RegisteredContract;
}

/**
 * Reads contract streams (`contract-<id>`) and folds them with the domain's `evolve`. Folded
 * states are cached by revision; the store stays the truth.
 *
 * Freshness: a watcher follows the store's global log (a catch-up subscription from the head at
 * start-up, woken at once by this process's commits, polling for other processes') and notes
 * per contract stream the position of its last event. A cached state checked at position C is
 * current when the watcher has seen everything up to the store's present head (one indexed read)
 * and the stream's last change lies at or before C. Otherwise — the watcher lagging, stopped, or
 * the stream changed — the events after the cached revision are read and folded in, as before.
 */
@Injectable()
export class ContractRepository implements OnModuleInit, OnModuleDestroy, ContractStates {
  private readonly logger = new Logger('ContractRepository');
  private readonly states = new Lru<string, CachedContract>(STATE_CACHE_ENTRIES);
  /**
   * contract id → position of its stream's last event seen by the watcher (only streams changed
   * since start-up). By contract id, not stream id: a status read looks it up with the id from
   * its URL, and `contract-<id>` built per read is a cons string that V8 flattens and hashes
   * before each lookup (perf: the costliest Map lookup of a status read).
   */
  private readonly lastChange = new Map<string, bigint>();
  private readonly changeListeners: ((contractId: string) => void)[] = [];
  /** every event up to this position has been seen by the watcher; null while it is not running */
  private watched: bigint | null = null;
  private subscription: AllSubscription | undefined;
  private warming: Promise<void> | undefined;
  private warmed = false;
  /**
   * States checked at or after this position can be trusted by the watcher's test: the watcher
   * knows the changes after the start-up head; a state the warm-up built at an earlier position is
   * trusted once the warm-up has read everything up to that head.
   */
  private warmedTo = -1n;
  private startHead = 0n;
  private headRead: bigint | undefined;
  private catchingUp: Promise<void> | undefined;
  private headReadAt = 0;
  private stopped = false;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onModuleInit(): Promise<void> {
    const head = (await this.store.headPosition()) ?? 0n;
    const subscription = this.store.subscribeToAll({ after: head });
    this.subscription = subscription;
    this.watched = head;
    this.startHead = head;
    this.warming = this.warm(head).finally(() => (this.warmed = true));
    void (async () => {
      try {
        for await (const e of subscription) this.see(e);
      } catch (error) {
        this.logger.warn(`the cache watcher stopped; every read checks the store: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.watched = null;
    })();
  }

  /** Notes an event of the log in order (from the watcher, or from a catch-up that ran ahead of it). */
  private see(e: RecordedEvent): void {
    if (this.watched === null || e.position <= this.watched) return;
    if (e.streamId.startsWith(CONTRACT_STREAM_PREFIX)) {
      const id = e.streamId.slice(CONTRACT_STREAM_PREFIX.length);
      this.lastChange.set(id, e.position);
      for (const listener of this.changeListeners) listener(id);
      const cached = this.states.peek(id);
      if (cached && cached.revision === e.revision) cached.lastRecordedAt = e.recordedAt;
    }
    this.watched = e.position;
  }

  /**
   * Reads the log after what the watcher has seen, once for every request that finds it a little
   * behind the head: the store holds a commit a moment before the watcher is woken for it (the
   * SQLite store commits on another thread), and one shared read is cheaper than each of those
   * requests reading its own stream.
   */
  private catchUp(): Promise<void> {
    this.catchingUp ??= (async () => {
      try {
        if (this.watched === null) return;
        for await (const e of this.store.readAll({ after: this.watched, maxCount: CATCH_UP_EVENTS })) this.see(e);
      } finally {
        this.catchingUp = undefined;
      }
    })();
    return this.catchingUp;
  }

  /**
   * Calls `listener` with the contract id of each event the watcher sees, in the log's order:
   * this process's appends and other processes' alike, from the start-up head on.
   */
  onChange(listener: (contractId: string) => void): void {
    this.changeListeners.push(listener);
  }

  /** Whether the start-up warm-up of the cache has ended (done, or stopped by an error). */
  isWarm(): boolean {
    return this.warmed;
  }

  async onModuleDestroy(): Promise<void> {
    const s = this.subscription;
    this.subscription = undefined;
    this.watched = null;
    this.stopped = true;
    await Promise.all([s?.stop(), this.warming]);
  }

  /**
   * Fills the cache in the background at start-up with the contract streams' folded states,
   * reading the global log once up to `head` (a few seconds for a million events, shared with
   * the event loop page by page), so that the first command or status of each contract does not
   * read and fold its whole stream. An entry built up to event position p is current as of p (no
   * event of its stream lies after p and at or before p); a state loaded meanwhile by a request
   * is left as it is. When the streams outnumber the cache, the last ones read stay.
   */
  private async warm(head: bigint): Promise<void> {
    const started = Date.now();
    let events = 0;
    try {
      // Unfiltered: the SQLite store answers a stream-prefix filter through the stream index and
      // sorts every page by position (measured: 30 s for 1M events); the few others are skipped here.
      for await (const e of this.store.readAll()) {
        if (this.stopped || e.position > head) break;
        if (++events % 1000 === 0) await yieldToEventLoop();
        if (!e.streamId.startsWith(CONTRACT_STREAM_PREFIX)) continue;
        const id = e.streamId.slice(CONTRACT_STREAM_PREFIX.length);
        const cached = this.states.peek(id);
        if (cached ? e.revision !== cached.revision + 1n : e.revision !== 0n) {
          // Already further (loaded by a request), or its beginning was evicted: leave it to load().
          if (cached && e.revision > cached.revision) this.states.delete(id);
          continue;
        }
        const state = evolve(cached?.state ?? initialState, toDomainRecorded(e).event);
        this.states.set(id, { state, revision: e.revision, checkedAt: e.position, lastRecordedAt: e.recordedAt });
      }
      this.warmedTo = head;
      if (!this.stopped) this.logger.log(`cached the folded states of ${this.states.size} contracts (${events} events) in ${Date.now() - started} ms`);
    } catch (error) {
      if (!this.stopped) this.logger.warn(`warming the cache stopped: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The last event of the stream, or null when it does not exist. */
  async lastRecord(contractId: string): Promise<RecordedEvent | null> {
    try {
      return (await this.store.readStream(contractStream(contractId), { direction: 'backwards', maxCount: 1 }))[0] ?? null;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
  }

  /**
   * The store's head, read at most once per {@link HEAD_REUSE_MS}: under load, status reads arrive
   * by thousands a second, and each read of the SQLite store's head is a read transaction with its
   * file locks (measured: 17 % of a status request's CPU). This process's own appends are seen at
   * once (the watcher is woken by them and `remember` records them); another process's append is
   * seen at most HEAD_REUSE_MS later than it would be otherwise.
   */
  private async head(): Promise<bigint> {
    const now = performance.now();
    if (this.headRead !== undefined && now - this.headReadAt < HEAD_REUSE_MS) return this.headRead;
    const head = (await this.store.headPosition()) ?? 0n;
    this.headRead = head;
    this.headReadAt = performance.now();
    return head;
  }

  /** Remembers the state after a successful append of `events` on top of `loaded`. */
  remember(contractId: string, loaded: LoadedContract, events: readonly ContractEvent[], revision: bigint, position: bigint): void {
    if (loaded.revision !== null && revision !== loaded.revision + BigInt(events.length)) return;
    // Nothing follows the appended events at the moment of their commit, at `position`.
    this.states.set(contractId, { state: events.reduce(evolve, loaded.state), revision, checkedAt: position, lastRecordedAt: undefined });
  }

  /**
   * The cached folded state of a contract, as it is (not checked against the store, not made the
   * most recently used): for a reader that checks itself which state it is (its `seq`).
   */
  peekState(contractId: string): ContractState | undefined {
    return this.states.peek(contractId)?.state;
  }

  /** The cached state after the event at `revision`, when the cache holds that one (for the read models' figures; see ContractStates). */
  peek(contractId: string, revision: number): RegisteredContract | undefined {
    const cached = this.states.peek(contractId);
    return cached && cached.revision === BigInt(revision) && isRegistered(cached.state) ? cached.state : undefined;
  }

  /** The state after the event at `revision`: cached, or read from the stream and folded (not cached: it may not be the current one). */
  async stateAt(contractId: string, revision: number): Promise<RegisteredContract | null> {
    return this.peek(contractId, revision) ?? readContractStateAt(this.store, contractId, revision);
  }

  /** Forgets a cached state (after a concurrency conflict: the next load reads the stream). */
  forget(contractId: string): void {
    this.states.delete(contractId);
  }

  async records(contractId: string): Promise<RecordedEvent[] | null> {
    try {
      return await this.store.readStream(contractStream(contractId));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
  }

  /**
   * The cached state of a contract as it is, without looking for newer events in the store, when
   * it is one that was current at some moment since start-up (not a warm-up's part-built one);
   * else undefined. For the write side: its append names the revision it decided on, so a state
   * another process has moved on from is caught there, and saves the read of the store's head.
   */
  cachedForWrite(contractId: string): CachedContract | undefined {
    const cached = this.states.get(contractId);
    return cached && (cached.checkedAt >= this.startHead || this.warmedTo >= this.startHead) ? cached : undefined;
  }

  /** The current folded state of a contract; `revision` is null when the stream does not exist. */
  async load(contractId: string): Promise<LoadedContract> {
    return (await this.current(contractId)) ?? { state: initialState, revision: null };
  }

  /** The current folded state with its revision and freshness, or null when the stream does not exist. */
  async current(contractId: string): Promise<CachedContract | null> {
    // Read before the stream: every event at or before it is in what is read next.
    const head = await this.head();
    const cached = this.states.get(contractId);
    if (cached) {
      const trusted = cached.checkedAt >= this.startHead || this.warmedTo >= this.startHead;
      if (trusted && this.watched !== null && this.watched < head && head - this.watched <= CATCH_UP_EVENTS) await this.catchUp();
      if (trusted && this.watched !== null && this.watched >= head && (this.lastChange.get(contractId) ?? -1n) <= cached.checkedAt) {
        cached.checkedAt = head;
        return cached;
      }
      const newer = await this.store.readStream(contractStream(contractId), { fromRevision: cached.revision + 1n });
      if (newer.length === 0) {
        cached.checkedAt = head;
        return cached;
      }
      let state = cached.state;
      for (const r of newer) state = evolve(state, toDomainRecorded(r).event);
      const last = newer[newer.length - 1];
      const loaded: CachedContract = { state, revision: last.revision, checkedAt: head, lastRecordedAt: last.recordedAt };
      this.states.set(contractId, loaded);
      return loaded;
    }
    const records = await this.records(contractId);
    if (!records || records.length === 0) return null;
    let state: ContractState = initialState;
    for (const r of records) state = evolve(state, toDomainRecorded(r).event);
    const last = records[records.length - 1];
    const loaded: CachedContract = { state, revision: last.revision, checkedAt: head, lastRecordedAt: last.recordedAt };
    this.states.set(contractId, loaded);
    return loaded;
  }

  /** The whole history of a contract the principal may see; 404 otherwise. */
  async historyFor(contractId: string, principal: Principal): Promise<ContractHistory> {
    const records = await this.records(contractId);
    const history = (records ?? []).map(toDomainRecorded);
    let state: ContractState = initialState;
    for (const r of history) state = evolve(state, r.event);
    if (!records || !isRegistered(state) || !canSeeContract(principal, { municipality: state.municipality, contractorKvk: state.contractor.kvk })) {
      throw notFound(`Contract ${contractId}`);
    }
    return { records, history, registered: state };
  }
}
