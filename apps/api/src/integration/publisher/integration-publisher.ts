import type { ContractEvent } from '@sroi/domain';
import { StreamNotFoundError, WrongExpectedVersionError, type AllSubscription, type EventData, type EventStore, type RecordedEvent } from '@sroi/event-store';
import { OBLIGATION_STATUS_OBSERVED, type PublicEventEnvelope } from '@sroi/integration-events';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CONTRACT_STREAM_PREFIX, OBLIGATION_STREAM_PREFIX, contractStream, obligationStream, withSharedCatalogue } from '../../shared/event-codec';
import { Lru } from '../../shared/lru';
import { integrationStream, publicEventStoreId, type IntegrationEventMetadata } from '../integration-streams';
import type { PublisherCheckpoint } from './publisher-checkpoint';
import type { PublisherHandle } from './publisher-handle';

/** A status observation of an obligation stream (`obligation-<contractId>`), as the mapper reads it. */
export interface ObservationEvent {
  type: typeof OBLIGATION_STATUS_OBSERVED;
  schemaVersion: number;
  data: { contractId: string; asOf: string; status: string };
}

/** An internal event as the mapper reads it: a contract event, or a status observation of the contract. */
export interface SourceEvent {
  streamId: string;
  id: string;
  position: string;
  recordedAt: string;
  event: ContractEvent | ObservationEvent;
}

/** Folds one internal event into the mapper's per-contract state and yields its public events. */
export type PublicEventMapper<S> = (state: S | undefined, source: SourceEvent) => { state: S; events: PublicEventEnvelope[] };

export type PublisherState = 'stopped' | 'catching-up' | 'live' | 'resubscribing' | 'failed';

export interface PublisherLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface IntegrationPublisherOptions {
  /**
   * Once caught up, a round of appends starts as soon as it holds this many events of the log (or
   * `batchWindowMs` after its first, whichever comes first). Default 40: what 10 ms gather at 2,000
   * hires a second (a hire and its public event), so high rates keep rounds as short as a window of
   * 10 ms made them, while low rates coalesce many hires into one append (one commit, one wake-up
   * of every subscription) instead of one each.
   */
  batchSize?: number;
  /** Events of the log per round while catching up. Default 2,000. */
  catchUpBatchSize?: number;
  /** How long a round waits for more events once it holds one, in ms. Default 50. */
  batchWindowMs?: number;
  /** Public events per append at most (EventStoreDB refuses appends over 1 MB by default). Default 500. */
  appendChunk?: number;
  /**
   * Contracts whose mapper state stays in memory (LRU); a miss re-reads and re-maps the streams of
   * the contract (about 2 ms for 100 events), so it should hold every active contract. Default 12,000
   * (as the repository), with catalogue versions shared between states.
   */
  cacheSize?: number;
  /**
   * Folds events published before into the mapper state mapping them one by one leaves, without
   * building their public events: a cache miss catches up with it, and the warm-up at start fills
   * the cache with it from one pass over the log. Without it a miss maps the events one by one
   * and there is no warm-up.
   */
  stateFold?: (state?: unknown) => StateFold;
  retryInitialMs?: number;
  retryMaxMs?: number;
  logger?: PublisherLogger;
}

/** A mapper state being folded one event at a time; `result()` may be asked for at any point. */
export interface StateFold {
  add(source: SourceEvent): void;
  result(): unknown;
}

/** A contract's mapper state, with what of its two streams it has folded. */
interface CachedState {
  /** revision of the last contract event folded (-1 for none) */
  revision: bigint;
  /** revision of the last observation folded (-1 for none) */
  observations: bigint;
  /** global position of the last source event folded (-1 for none) */
  position: bigint;
  state: unknown;
}

interface StreamTail {
  /** Revision of the stream's last event, null when the stream does not exist. */
  revision: bigint | null;
  /** (sourcePosition, sourceIndex) of the stream's last event. */
  sourcePosition: bigint;
  sourceIndex: number;
}

interface Outgoing {
  envelope: PublicEventEnvelope;
  sourcePosition: bigint;
  sourceIndex: number;
  correlationId: string | null;
  causationId: string;
}

const silent: PublisherLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const TIMEOUT = Symbol('timeout');

/** The mapper could not map an event: the publisher stops rather than skip it. */
export class PublishFailure extends Error {
  constructor(
    message: string,
    readonly event: { streamId: string; revision: string; position: string; type: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PublishFailure';
  }
}

/**
 * Turns the internal contract events into public integration events and appends them to the
 * store, one stream per municipality (`integration-<slug>`), in global order. From there the
 * integration-log projection indexes them for the SSE feed and the webhooks, and EventStoreDB
 * persistent subscriptions can read them directly.
 *
 * Exactly once, across crashes: each public event carries in its metadata the position of the
 * internal event it derives from and its index among that event's public events. After a restart
 * the publisher resumes from its saved checkpoint (at or before what it appended), and before
 * appending to a stream it reads the stream's last event and drops what is already there. Appends
 * expect the stream's revision, so a second publisher (another instance on EventStoreDB) makes
 * one of them re-read the tail instead of writing twice. Event ids derive from the envelopes' stable
 * ids (publicEventStoreId), time-ordered.
 *
 * The mapper is pure and keeps a per-contract state; states are cached (LRU) and rebuilt on a miss
 * by re-mapping the contract's stream up to the event (the output of that replay is discarded).
 *
 * Besides the contract streams it maps the obligation streams (`obligation-<contractId>`), where
 * the obligation monitor records that the date alone changed a contract's status. The mapper state
 * of a contract is the fold of both streams' events in global order: the cached state serves an
 * event when it is the state right before it; otherwise (a miss, or a state from beyond it after a
 * resubscription) it is rebuilt from both streams' events before the event's position.
 */
export class IntegrationPublisher implements PublisherHandle {
  private readonly batchSize: number;
  private readonly catchUpBatchSize: number;
  private readonly batchWindowMs: number;
  private readonly appendChunk: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly logger: PublisherLogger;
  private readonly states: Lru<string, CachedState>;
  private readonly cacheSize: number;
  private readonly stateFold: ((state?: unknown) => StateFold) | undefined;
  private warming: Promise<void> | undefined;
  private warmed = false;
  private readonly tails = new Map<string, StreamTail>();
  private position: bigint | null;
  private publisherState: PublisherState = 'stopped';
  private caughtUp = false;
  private error: { message: string; at: string; event?: PublishFailure['event'] } | null = null;
  private published = 0;
  private subscription: AllSubscription | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly checkpoint: PublisherCheckpoint,
    private readonly mapper: PublicEventMapper<unknown>,
    options: IntegrationPublisherOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 40;
    this.catchUpBatchSize = options.catchUpBatchSize ?? Math.max(this.batchSize, 2_000);
    this.batchWindowMs = options.batchWindowMs ?? 50;
    this.appendChunk = options.appendChunk ?? 500;
    this.retryInitialMs = options.retryInitialMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
    this.logger = options.logger ?? silent;
    this.cacheSize = options.cacheSize ?? 12_000;
    this.states = new Lru(this.cacheSize);
    this.stateFold = options.stateFold;
    this.position = checkpoint.load();
  }

  get state(): PublisherState {
    return this.publisherState;
  }

  get lastError(): typeof this.error {
    return this.error;
  }

  /** Position of the last internal event whose public events are all in the store. */
  lastPublishedPosition(): bigint | null {
    return this.position;
  }

  /** Public events appended by this process. */
  get publishedEvents(): number {
    return this.published;
  }

  isCaughtUp(): boolean {
    return this.caughtUp && this.publisherState !== 'failed';
  }

  /** Whether the start-up warm-up of the cache has ended (done, stopped by an error, or none to do). */
  isWarm(): boolean {
    return this.warmed;
  }

  start(): void {
    if (this.loop) throw new Error('IntegrationPublisher already started');
    this.stopping = false;
    this.publisherState = 'catching-up';
    this.warmed = false;
    if (this.stateFold && this.position !== null) this.warming = this.warm(this.stateFold, this.position).finally(() => (this.warmed = true));
    else this.warmed = true;
    this.loop = this.run().catch((error: unknown) => this.fail(error));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.subscription?.stop().catch(() => undefined);
    await Promise.all([this.loop, this.warming]);
    this.loop = undefined;
    this.warming = undefined;
    if (this.publisherState !== 'failed') this.publisherState = 'stopped';
  }

  private async run(): Promise<void> {
    let delay = this.retryInitialMs;
    while (!this.stopping) {
      let subscription: AllSubscription | undefined;
      try {
        const head = await this.store.headPosition();
        if (head === null || (this.position !== null && this.position >= head)) this.markCaughtUp();
        subscription = this.store.subscribeToAll({ after: this.position ?? 'start' });
        this.subscription = subscription;
        if (this.stopping) return;
        this.publisherState = this.caughtUp ? 'live' : 'catching-up';
        await this.consume(subscription, head, () => (delay = this.retryInitialMs));
        if (!this.stopping) throw new Error('the subscription to $all ended without being stopped');
      } catch (error) {
        if (error instanceof PublishFailure) throw error;
        if (this.stopping) return;
        const message = error instanceof Error ? error.message : String(error);
        this.error = { message: `subscription dropped: ${message}`, at: new Date().toISOString() };
        this.publisherState = 'resubscribing';
        // What the streams hold may have changed under us (another publisher): read the tails again.
        this.tails.clear();
        this.logger.warn(`Integration publisher: dropped after position ${this.position ?? 'start'} (${message}); resubscribing in ${delay} ms`);
        await this.backoff(delay);
        delay = Math.min(delay * 2, this.retryMaxMs);
      } finally {
        this.subscription = undefined;
        await subscription?.stop().catch(() => undefined);
      }
    }
  }

  private backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async consume(subscription: AllSubscription, head: bigint | null, onProgress: () => void): Promise<void> {
    const iterator = subscription[Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<RecordedEvent>> | undefined;
    let batch: RecordedEvent[] = [];
    let deadline: { promise: Promise<typeof TIMEOUT>; cancel: () => void } | undefined;
    const flush = async (): Promise<void> => {
      deadline?.cancel();
      deadline = undefined;
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      await this.publish(events);
      onProgress();
      if (head !== null && this.position !== null && this.position >= head) this.markCaughtUp();
      await yieldToEventLoop();
    };
    try {
      while (!this.stopping) {
        pending ??= iterator.next();
        let result: IteratorResult<RecordedEvent> | typeof TIMEOUT;
        if (batch.length === 0) result = await pending;
        else {
          deadline ??= timeout(this.batchWindowMs);
          result = await Promise.race([pending, deadline.promise]);
        }
        if (result === TIMEOUT) {
          await flush();
          continue;
        }
        pending = undefined;
        if (result.done) break;
        batch.push(result.value);
        if (batch.length >= (this.caughtUp ? this.batchSize : this.catchUpBatchSize)) await flush();
      }
      if (!this.stopping) await flush();
    } finally {
      deadline?.cancel();
      pending?.catch(() => undefined);
    }
  }

  /** Maps a batch of $all, appends its public events stream by stream, then saves the checkpoint. */
  private async publish(events: RecordedEvent[]): Promise<void> {
    const byStream = new Map<string, Outgoing[]>();
    for (const recorded of events) {
      if (!isSourceEvent(recorded)) continue;
      const out = await this.map(recorded);
      for (let i = 0; i < out.length; i++) {
        const envelope = out[i];
        const stream = integrationStream(envelope.municipality);
        let list = byStream.get(stream);
        if (!list) byStream.set(stream, (list = []));
        const correlation = recorded.metadata['correlationId'];
        list.push({ envelope, sourcePosition: recorded.position, sourceIndex: i, correlationId: typeof correlation === 'string' ? correlation : null, causationId: recorded.id });
      }
    }
    for (const [stream, list] of byStream) await this.append(stream, list);
    const last = events[events.length - 1].position;
    this.checkpoint.save(last);
    this.position = last;
  }

  private async map(recorded: RecordedEvent): Promise<PublicEventEnvelope[]> {
    const observation = recorded.streamId.startsWith(OBLIGATION_STREAM_PREFIX);
    const contractId = recorded.streamId.slice((observation ? OBLIGATION_STREAM_PREFIX : CONTRACT_STREAM_PREFIX).length);
    try {
      const before = await this.stateBefore(contractId, recorded, observation);
      const { state, events } = this.mapper(before.state, toSource(recorded));
      this.states.set(contractId, {
        revision: observation ? before.revision : recorded.revision,
        observations: observation ? recorded.revision : before.observations,
        position: recorded.position,
        state,
      });
      return events;
    } catch (error) {
      const event = { streamId: recorded.streamId, revision: String(recorded.revision), position: String(recorded.position), type: recorded.type };
      const reason = error instanceof Error ? error.message : String(error);
      throw new PublishFailure(`Cannot map ${recorded.type} at revision ${recorded.revision} of '${recorded.streamId}' (position ${recorded.position}): ${reason}`, event, { cause: error });
    }
  }

  /**
   * The contract's mapper state right before `recorded` (a contract event, or an observation when
   * `observation`): the cached one when it is exactly that, else re-mapped from the contract's
   * events and observations before its position, in global order.
   */
  private async stateBefore(contractId: string, recorded: RecordedEvent, observation: boolean): Promise<CachedState> {
    const cached = this.states.get(contractId);
    // $all is processed in order, so a cached state is the latest one, unless it comes from beyond this
    // event (mapped before a dropped subscription resumed from the checkpoint): the position tells.
    if (cached && cached.position < recorded.position && (observation ? cached.observations : cached.revision) === recorded.revision - 1n) return cached;
    if (!observation && recorded.revision === 0n) return { revision: -1n, observations: -1n, position: -1n, state: undefined };
    const contract = observation
      ? (await this.readOrEmpty(contractStream(contractId))).filter((r) => r.position < recorded.position)
      : await this.store.readStream(contractStream(contractId), { maxCount: Number(recorded.revision) });
    if (!observation && contract.length !== Number(recorded.revision)) throw new Error(`the stream holds ${contract.length} events before revision ${recorded.revision}`);
    const observed = (await this.readOrEmpty(obligationStream(contractId))).filter((r) => r.position < recorded.position);
    if (observation && observed.length !== Number(recorded.revision)) throw new Error(`the stream holds ${observed.length} events before revision ${recorded.revision}`);
    const merged = [...contract, ...observed.filter(isSourceEvent)].sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    let state: unknown;
    if (this.stateFold) {
      const fold = this.stateFold();
      for (const r of merged) fold.add(toSource(r));
      state = fold.result();
    } else for (const r of merged) state = this.mapper(state, toSource(r)).state;
    return { revision: BigInt(contract.length) - 1n, observations: BigInt(observed.length) - 1n, position: merged.length ? merged[merged.length - 1].position : -1n, state };
  }

  /**
   * Fills the cache at start, in the background, with the mapper states of the contracts as of
   * `upTo` (the checkpoint: everything up to it is published), from one pass over the log, so the
   * first event of each contract after a restart does not re-read and re-fold its streams. A
   * contract the live publisher has cached meanwhile keeps its entry; a contract whose events do
   * not fold is left out (its miss will report it), and so are the least recently changed ones
   * when the contracts outnumber the cache. The entries are checked on use as any other.
   */
  private async warm(stateFold: (state?: unknown) => StateFold, upTo: bigint): Promise<void> {
    const started = Date.now();
    const folds = new Map<string, CachedState & { fold: StateFold }>();
    /** contracts left out: their events did not fold, or more recently changed ones filled the cache */
    const skipped = new Set<string>();
    let events = 0;
    try {
      for await (const e of this.store.readAll()) {
        if (this.stopping || e.position > upTo) break;
        if (++events % 1000 === 0) await yieldToEventLoop();
        const observation = e.streamId.startsWith(OBLIGATION_STREAM_PREFIX);
        if (!observation && !e.streamId.startsWith(CONTRACT_STREAM_PREFIX)) continue;
        const contractId = e.streamId.slice((observation ? OBLIGATION_STREAM_PREFIX : CONTRACT_STREAM_PREFIX).length);
        if (skipped.has(contractId)) continue;
        let entry = folds.get(contractId);
        if (entry) folds.delete(contractId); // kept in the order of last change: the least recently changed leave first
        else entry = { revision: -1n, observations: -1n, position: -1n, state: undefined, fold: stateFold() };
        folds.set(contractId, entry);
        if (folds.size > this.cacheSize) {
          const oldest = folds.keys().next().value as string;
          folds.delete(oldest);
          skipped.add(oldest);
        }
        // what stateBefore counts: every event of the obligation stream, the source events' positions
        if (observation) entry.observations = e.revision;
        else entry.revision = e.revision;
        if (!isSourceEvent(e)) continue;
        try {
          entry.fold.add(toSource(e));
          entry.position = e.position;
        } catch {
          skipped.add(contractId);
          folds.delete(contractId);
        }
      }
      if (this.stopping) return;
      let cached = 0;
      // the most recently changed first, as long as there is room
      for (const [contractId, entry] of [...folds].reverse()) {
        // yield first: the live publisher may cache this contract meanwhile, and its entry is newer
        if (cached % 100 === 99) await yieldToEventLoop();
        if (this.stopping || this.states.size >= this.cacheSize) break;
        if (this.states.peek(contractId)) continue;
        cached++;
        const { fold, ...rest } = entry;
        this.states.set(contractId, { ...rest, state: fold.result() });
      }
      this.logger.log(`Integration publisher: cached the mapper states of ${cached} contracts (${events} events read) in ${Date.now() - started} ms`);
    } catch (error) {
      if (!this.stopping) this.logger.warn(`Integration publisher: warming the cache stopped: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async readOrEmpty(stream: string): Promise<RecordedEvent[]> {
    try {
      return await this.store.readStream(stream);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  private async append(stream: string, list: Outgoing[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const tail = this.tails.get(stream) ?? (await this.readTail(stream));
      const fresh = list.filter((o) => o.sourcePosition > tail.sourcePosition || (o.sourcePosition === tail.sourcePosition && o.sourceIndex > tail.sourceIndex));
      try {
        let revision = tail.revision;
        for (let from = 0; from < fresh.length; from += this.appendChunk) {
          const chunk = fresh.slice(from, from + this.appendChunk);
          const result = await this.store.appendToStream(stream, chunk.map(toEventData), { expectedRevision: revision ?? 'no_stream' });
          revision = result.nextExpectedRevision;
          const lastOut = chunk[chunk.length - 1];
          this.tails.set(stream, { revision, sourcePosition: lastOut.sourcePosition, sourceIndex: lastOut.sourceIndex });
          this.published += chunk.length;
        }
        return;
      } catch (error) {
        this.tails.delete(stream);
        // Another writer moved the stream: read its tail again and drop what it already holds.
        if (!(error instanceof WrongExpectedVersionError) || attempt >= 3) throw error;
      }
    }
  }

  private async readTail(stream: string): Promise<StreamTail> {
    try {
      const [last] = await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      const meta = last.metadata as Partial<IntegrationEventMetadata>;
      const tail = { revision: last.revision, sourcePosition: BigInt(meta.sourcePosition ?? '-1'), sourceIndex: Number(meta.sourceIndex ?? -1) };
      this.tails.set(stream, tail);
      return tail;
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
      const tail = { revision: null, sourcePosition: -1n, sourceIndex: -1 };
      this.tails.set(stream, tail);
      return tail;
    }
  }

  private markCaughtUp(): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    if (this.publisherState === 'catching-up') this.publisherState = 'live';
    this.logger.log(`Integration publisher: caught up at position ${this.position ?? 'start'}`);
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.error = { message, at: new Date().toISOString(), ...(error instanceof PublishFailure ? { event: error.event } : {}) };
    this.publisherState = 'failed';
    this.logger.error(`Integration publisher stopped: ${message}. Checkpoint stays at ${this.position ?? 'start'}; fix the cause and restart.`);
  }
}

/** A contract event, or a status observation: what the publisher maps. */
function isSourceEvent(r: Pick<RecordedEvent, 'streamId' | 'type'>): boolean {
  return r.streamId.startsWith(CONTRACT_STREAM_PREFIX) || (r.streamId.startsWith(OBLIGATION_STREAM_PREFIX) && r.type === OBLIGATION_STATUS_OBSERVED);
}

function toSource(r: RecordedEvent): SourceEvent {
  const schemaVersion = typeof r.metadata['schemaVersion'] === 'number' ? r.metadata['schemaVersion'] : 1;
  return {
    streamId: r.streamId,
    id: r.id,
    position: String(r.position),
    recordedAt: r.recordedAt,
    event: { type: r.type, schemaVersion, data: withSharedCatalogue(r.type, r.data) } as unknown as SourceEvent['event'],
  };
}

function toEventData(o: Outgoing): EventData {
  const metadata: IntegrationEventMetadata = {
    schemaVersion: o.envelope.schemaVersion,
    sourcePosition: String(o.sourcePosition),
    sourceIndex: o.sourceIndex,
    causationId: o.causationId,
    correlationId: o.correlationId,
  };
  return { id: publicEventStoreId(o.envelope.id, o.envelope.occurredAt), type: o.envelope.type, data: o.envelope as unknown as EventData['data'], metadata };
}

function timeout(ms: number): { promise: Promise<typeof TIMEOUT>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
