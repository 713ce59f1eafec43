import type { AllSubscription, EventStore, RecordedEvent } from '@sroi/event-store';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { MalformedContractEventError } from './contract-events';
import type { Projection } from './contract-projection';
import type { ReadModelDatabase } from './read-model-database';
import { ProjectionProgress } from './read-models';

export type RunnerState =
  /** Not started, or stopped. */
  | 'stopped'
  /** Subscribed, applying the history up to the store's head at start. */
  | 'catching-up'
  /** Caught up once; applying live events. */
  | 'live'
  /** The subscription dropped; waiting to resubscribe from the checkpoint. */
  | 'resubscribing'
  /** An event could not be applied (or the read-model file failed): stopped for good, see `lastError`. */
  | 'failed';

export interface RunnerError {
  message: string;
  /** ISO instant the runner saw the error. */
  at: string;
  /** The event that could not be applied, when one is to blame. */
  event?: { streamId: string; revision: string; position: string; type: string };
}

export interface RunnerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ProjectionRunnerOptions {
  /**
   * Once caught up, a batch is applied as soon as it holds this many events (or `batchWindowMs`
   * after its first, whichever comes first). Default 80: what 20 ms gather at 2,000 hires a second
   * (a hire and its public event), so that at high rates the event loop's stretches stay as short
   * as they were with a window of 20 ms, while at low rates the window coalesces many commits.
   */
  batchSize?: number;
  /**
   * Events per transaction at most while catching up. Default 5,000: events of many contracts
   * interleave in the log, and a larger transaction rewrites each contract's row once for several
   * of its events (measured: 100k events catch up 2-3x faster than with 500).
   */
  catchUpBatchSize?: number;
  /**
   * How long a batch waits for more events once it holds one, in ms. Default 50: at 100 hires a
   * second a batch then holds ~10 events instead of ~2, and the transactions' fixed cost (measured:
   * 1.5-2 ms of the event loop a hire at that rate, against ~0.5 ms at full speed) is paid five
   * times less often. Read models are that much later at most; the status read does not use them.
   */
  batchWindowMs?: number;
  /** Without a new event for this long, the runner counts as caught up (ms). Default 250. */
  idleCaughtUpMs?: number;
  /** First wait before resubscribing after a drop (ms), doubled on each failure. Default 100. */
  retryInitialMs?: number;
  /** Longest wait before resubscribing (ms). Default 10,000. */
  retryMaxMs?: number;
  /**
   * Run once before subscribing when the read models hold no checkpoint: may build them from the
   * whole log faster than event by event (see `buildNewReadModels`) and answer the position they
   * reach and the events read, or null to catch up as usual. When it throws, it must leave the
   * read models empty: the runner then catches up event by event. `signal` is aborted when the
   * runner stops: the build should then stop soon (and throw).
   */
  initialBuild?: (signal: AbortSignal) => Promise<{ position: bigint | null; events: number } | null>;
  logger?: RunnerLogger;
}

const TIMEOUT = Symbol('timeout');
const silentLogger: RunnerLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

interface Waiter {
  position: bigint;
  resolve: (applied: boolean) => void;
  timer: NodeJS.Timeout;
}

/** An apply failure: ends the runner (as opposed to a dropped subscription, which is retried). */
class ApplyFailure extends Error {}

/**
 * Feeds projections from the store's catch-up subscription to `$all` (never from in-process
 * publishing), in batches: up to `batchSize` events or `batchWindowMs`, whichever comes first
 * (`catchUpBatchSize` while catching up), applied in ONE SQLite transaction together with the
 * checkpoint. A crash or a restart therefore resumes exactly after the last committed event, and a
 * rebuild applies the same batches' effects.
 *
 * The subscription is not filtered: events of other streams (catalogues) are skipped by the
 * projection but advance the checkpoint, so `lastAppliedPosition()` is the position up to which
 * the whole log is reflected, and a client can wait for any position it was given (a filtered
 * subscription of this port reports no checkpoint past its last matching event).
 *
 * A dropped subscription is resubscribed from the saved checkpoint with exponential backoff. An
 * event that cannot be applied, or a failing read-model file, ends the runner: logged, state
 * 'failed', the error kept for health and readiness, and never skipped.
 */
export class ProjectionRunner extends ProjectionProgress {
  private readonly batchSize: number;
  private readonly catchUpBatchSize: number;
  private readonly batchWindowMs: number;
  private readonly idleCaughtUpMs: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly logger: RunnerLogger;
  private readonly waiters = new Set<Waiter>();
  private position: bigint | null;
  private runnerState: RunnerState = 'stopped';
  private caughtUp = false;
  private error: RunnerError | null = null;
  private applied = 0;
  private subscription: AllSubscription | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wakeFromBackoff: (() => void) | undefined;
  private building: AbortController | undefined;
  private readonly initialBuild: ProjectionRunnerOptions['initialBuild'];

  constructor(
    private readonly store: EventStore,
    private readonly database: ReadModelDatabase,
    private readonly projections: readonly Projection[],
    options: ProjectionRunnerOptions = {},
  ) {
    super();
    if (projections.length === 0) throw new Error('ProjectionRunner needs at least one projection');
    this.batchSize = options.batchSize ?? 80;
    this.catchUpBatchSize = options.catchUpBatchSize ?? Math.max(this.batchSize, 5_000);
    this.batchWindowMs = options.batchWindowMs ?? 50;
    this.idleCaughtUpMs = options.idleCaughtUpMs ?? 250;
    this.retryInitialMs = options.retryInitialMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
    this.initialBuild = options.initialBuild;
    this.position = this.savedCheckpoint();
  }

  get state(): RunnerState {
    return this.runnerState;
  }

  /** True once the runner has applied everything the store held when it started (and has not failed). */
  isCaughtUp(): boolean {
    return this.caughtUp && this.runnerState !== 'failed';
  }

  get lastError(): RunnerError | null {
    return this.error;
  }

  /** Events of $all handled (applied or skipped) by this runner since it was constructed. */
  get appliedEvents(): number {
    return this.applied;
  }

  lastAppliedPosition(): bigint | null {
    return this.position;
  }

  waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    if (this.position !== null && this.position >= position) return Promise.resolve(true);
    if (this.runnerState === 'failed') return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        position,
        resolve: (applied) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve(applied);
        },
        timer: setTimeout(() => waiter.resolve(false), Math.max(0, timeoutMs)),
      };
      this.waiters.add(waiter);
    });
  }

  /** Starts applying in the background; returns at once (bootstrap does not wait for catching up). */
  start(): void {
    if (this.loop) throw new Error('ProjectionRunner already started');
    this.stopping = false;
    this.runnerState = 'catching-up';
    this.loop = this.run().catch((error: unknown) => this.fail(error));
  }

  /** Stops the subscription and waits for the batch being applied; the database stays open. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeFromBackoff?.();
    this.building?.abort();
    await this.subscription?.stop().catch(() => undefined);
    await this.loop;
    this.loop = undefined;
    if (this.runnerState !== 'failed') this.runnerState = 'stopped';
    for (const w of [...this.waiters]) w.resolve(false);
  }

  private async buildFirst(build: NonNullable<ProjectionRunnerOptions['initialBuild']>): Promise<void> {
    this.building = new AbortController();
    try {
      const built = await build(this.building.signal);
      // The rows were written by other projection instances: drop whatever these hold in memory.
      for (const p of this.projections) p.discarded();
      if (!built || built.position === null) return;
      this.position = built.position;
      this.applied += built.events;
      for (const w of [...this.waiters]) if (w.position <= built.position) w.resolve(true);
    } catch (error) {
      for (const p of this.projections) p.discarded();
      // Stopped: the next start builds again.
      if (this.stopping) return;
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`Projections: the fast build from the whole log failed (${message}); catching up event by event instead`);
    } finally {
      this.building = undefined;
    }
  }

  private savedCheckpoint(): bigint | null {
    const positions = this.database.checkpoints(this.projections.map((p) => p.name));
    if (positions.some((p) => p === null)) {
      if (positions.some((p) => p !== null)) throw new Error('Read models: some projections have a checkpoint and others none; rebuild them');
      return null;
    }
    const first = positions[0] as bigint;
    if (positions.some((p) => p !== first)) throw new Error('Read models: the projections have different checkpoints; rebuild them');
    return first;
  }

  private async run(): Promise<void> {
    let delay = this.retryInitialMs;
    if (this.position === null && this.initialBuild) await this.buildFirst(this.initialBuild);
    while (!this.stopping) {
      let subscription: AllSubscription | undefined;
      try {
        const head = await this.store.headPosition();
        if (head === null || (this.position !== null && this.position >= head)) this.markCaughtUp();
        subscription = this.store.subscribeToAll({ after: this.position ?? 'start' });
        this.subscription = subscription;
        if (this.stopping) return;
        this.runnerState = this.caughtUp ? 'live' : 'catching-up';
        await this.consume(subscription, head, () => (delay = this.retryInitialMs));
        if (!this.stopping) throw new Error('the subscription to $all ended without being stopped');
      } catch (error) {
        if (error instanceof ApplyFailure) throw error.cause;
        if (this.stopping) return;
        const message = error instanceof Error ? error.message : String(error);
        this.error = { message: `subscription dropped: ${message}`, at: new Date().toISOString() };
        this.runnerState = 'resubscribing';
        this.logger.warn(`Projections: subscription to $all dropped after position ${this.position ?? 'start'} (${message}); resubscribing in ${delay} ms`);
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
        this.wakeFromBackoff = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeFromBackoff = done;
    });
  }

  /** Reads the subscription and applies it in batches; returns when it ends or the runner stops. */
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
      this.applyBatch(events, head);
      onProgress();
      // Let I/O (HTTP requests) through between batches while catching up.
      await yieldToEventLoop();
    };
    try {
      while (!this.stopping) {
        pending ??= iterator.next();
        let result: IteratorResult<RecordedEvent> | typeof TIMEOUT;
        if (batch.length === 0) {
          if (this.caughtUp) result = await pending;
          else {
            const idle = timeout(this.idleCaughtUpMs);
            result = await Promise.race([pending, idle.promise]);
            idle.cancel();
            if (result === TIMEOUT) {
              this.markCaughtUp();
              continue;
            }
          }
        } else {
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
      // An abandoned next() may still settle (or reject when the subscription stops): observe it.
      pending?.catch(() => undefined);
    }
  }

  private applyBatch(events: RecordedEvent[], head: bigint | null): void {
    const last = events[events.length - 1].position;
    try {
      this.commit(events, last);
    } catch (error) {
      // Keep what precedes the culprit, so the checkpoint stops right before it and health names it.
      const index = error instanceof MalformedContractEventError ? events.findIndex((e) => e.position === error.event.position) : -1;
      if (index > 0) {
        try {
          this.commit(events.slice(0, index), events[index - 1].position);
        } catch {
          // The error reported is the first one.
        }
      }
      throw new ApplyFailure('apply failed', { cause: error });
    }
    if (head !== null && last >= head) this.markCaughtUp();
  }

  private commit(events: RecordedEvent[], last: bigint): void {
    commitBatch(this.database, this.projections, events, last);
    this.position = last;
    this.applied += events.length;
    for (const w of [...this.waiters]) if (w.position <= last) w.resolve(true);
  }

  private markCaughtUp(): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    if (this.runnerState === 'catching-up') this.runnerState = 'live';
    this.logger.log(`Projections: caught up at position ${this.position ?? 'start'}`);
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.error = { message, at: new Date().toISOString() };
    if (error instanceof MalformedContractEventError) {
      const e = error.event;
      this.error.event = { streamId: e.streamId, revision: String(e.revision), position: String(e.position), type: e.type };
    }
    this.runnerState = 'failed';
    this.logger.error(`Projections stopped: ${message}. Checkpoint stays at ${this.position ?? 'start'}; fix the cause and restart (or rebuild).`);
    for (const w of [...this.waiters]) w.resolve(false);
  }
}

/**
 * Applies `events` to every projection and saves their checkpoint (`last`, the position of the last
 * event) in ONE transaction: all of it is committed, or nothing. Live processing and rebuilds share it.
 */
export function commitBatch(database: ReadModelDatabase, projections: readonly Projection[], events: readonly RecordedEvent[], last: bigint): void {
  try {
    database.transaction(() => {
      for (const p of projections) {
        p.apply(events);
        database.saveCheckpoint(p.name, last);
      }
    });
  } catch (error) {
    for (const p of projections) p.discarded();
    throw error;
  }
  for (const p of projections) p.committed();
}

function timeout(ms: number): { promise: Promise<typeof TIMEOUT>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
