import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BroadcastChannel } from 'node:worker_threads';
import {
  DuplicateEventIdError,
  EventStoreUnavailableError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../errors';
import type {
  AllFilter,
  AllSubscription,
  AppendOptions,
  AppendResult,
  EventData,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
} from '../port';
import { uuidv7 } from '../uuid-v7';
import { validateAppend } from '../validation';
import { AppendThread } from './append-thread';
import { CommitTail } from './commit-tail';
import { checkpointComplete, commitChannel, finishingCheckpointChannel, type CommitDiagnostics, type FinishingCheckpointDiagnostics } from './diagnostics';
import { createGroupCommit, type AppendOutcome, type GroupCommit, type PreparedAppend } from './group-commit';
import { migrate } from './schema';
import { limitClause, StatementCache } from './sql-limit';
import { PollingAllSubscription } from './polling-subscription';
import { toRecordedEvent, type EventRow } from './stored-event';
import { WalCheckpointer, type WalCheckpointerOptions, type WalCheckpointerStats } from './wal-checkpointer';

export type SynchronousMode = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

export interface SqliteEventStoreOptions {
  /** Path of the database file; its folder is created when missing. */
  path: string;
  /**
   * Durability of a commit. better-sqlite3 builds SQLite so that WAL runs at NORMAL, which can
   * lose acknowledged commits on power loss; the store runs at FULL unless told otherwise.
   */
  synchronous?: SynchronousMode;
  /** How long SQLite itself waits for another writer before handing back SQLITE_BUSY (ms). */
  busyTimeoutMs?: number;
  /** How long an append keeps retrying a locked database, asynchronously, before it gives up (ms). */
  lockWaitMs?: number;
  /** How often a live subscription looks for commits made by other processes (ms). */
  pollIntervalMs?: number;
  /** Events fetched per query when reading the global log. */
  pageSize?: number;
  /**
   * Commit appends on a thread of their own, with its own connection (see {@link AppendThread}),
   * so that a commit's writes and fsync do not hold up the event loop. Default true.
   */
  appendThread?: boolean;
  /**
   * Checkpoint the WAL on a worker thread of its own (see {@link WalCheckpointer}) rather than
   * inside the commits, on the append thread as on the event loop. Default true.
   */
  backgroundCheckpoints?: boolean;
  /**
   * When the background checkpoints run, and when the WAL starts over (see {@link WalCheckpointerOptions}).
   * Default: with the append thread, every 200 commits or 60 s and after 200 ms without a commit,
   * the writer finishing one past 1,024 frames (see {@link APPEND_THREAD_CHECKPOINTS}); on the
   * event loop, WalCheckpointer's defaults.
   */
  checkpoints?: Omit<WalCheckpointerOptions, 'synchronous'>;
  /**
   * Hand the unfiltered subscriptions the events this connection has just committed from memory
   * (see {@link CommitTail}). Default true; false reads every page from the file (what
   * `bench:subscriptions` measures the tail against).
   */
  commitTail?: boolean;
}

/**
 * Background checkpoints of a store that commits on the append thread. Each append changes a page
 * of the stream index at random (the stream's last entries), and a checkpoint writes each changed
 * page back once however often it changed since the last one, so rarer checkpoints write less: in
 * the fourth session, checkpoints every 1,000 commits gave 1,366–1,648 against 1,025–1,330 hires a
 * second with SQLite's auto-checkpoint every 1,000 pages in the thread's commits.
 *
 * The WAL starts over only once a checkpoint has copied all of it. In a quiet moment (no commit
 * for 200 ms) a background checkpoint does, and the next commit starts the WAL over at no cost to
 * anyone. Under steady commits only the writer's finishing checkpoint can (see
 * WalCheckpointer.committed()), and no commit goes on meanwhile: it copies the pages of the last
 * few hundred commits and syncs them. The larger the WAL it ends, the longer it takes, so the WAL
 * starts over past 1,024 frames (4 MB), about four times a second at 2,000 hires a second: many
 * short stalls, which 50 connections absorb, rather than a few long ones. In a paired run at an
 * even 2,000 hires a second (twenty-seventh session) that gave 0.78× the client's p99 of 4,096
 * frames (0.68× inside the service, 0.97× the CPU a hire); in alternated drive runs the finishes'
 * longest were 15–22 ms past 1,024 frames, 19–25 past 2,048, 33–42 past 4,096, 33–101 past
 * 16,384, and 110–240 ms past 32,768 in the tenth session. (The nineteenth session, before the
 * public events' time-ordered ids and `temp_store = MEMORY`, had found 1,024 no better.) Syncing
 * the file from the checkpoint worker after each partial checkpoint did not shorten the finishes
 * (twentieth session). A smaller WAL is also quicker to read after a crash.
 */
const APPEND_THREAD_CHECKPOINTS = { everyCommits: 200, intervalMs: 60_000, restartFrames: 1_024, quietMs: 200 } as const;

/** `wal_autocheckpoint` of the committing connection when the background checkpointer has failed. */
const FALLBACK_CHECKPOINT_PAGES = 1000;

interface PendingAppend {
  append: PreparedAppend;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
  /** performance.now() at the call, while the commit channel has subscribers (diagnostics.ts) */
  calledAt?: number;
}

/**
 * Commits wake the subscriptions on the same file at once, in every thread of the process (the
 * service's publisher runs in a worker thread of its own); commits of other processes are found
 * by polling. One signal per database file and thread, shared by every store instance there; the
 * threads tell each other through a BroadcastChannel named after the file.
 */
class CommitSignal extends EventEmitter {
  private readonly channel: BroadcastChannel;

  constructor(file: string) {
    super();
    this.setMaxListeners(0);
    this.channel = new BroadcastChannel(`sroi-event-store-commits:${file}`);
    this.channel.onmessage = () => this.emit('commit');
    // Listening never keeps a thread alive: the subscriptions' own timers do that.
    this.channel.unref();
  }

  /** A commit of this thread: wakes its subscriptions, and tells the other threads. */
  committed(): void {
    this.emit('commit');
    this.channel.postMessage(0);
  }
}

const commitSignals = new Map<string, CommitSignal>();
function commitSignalFor(file: string): CommitSignal {
  let signal = commitSignals.get(file);
  if (!signal) {
    signal = new CommitSignal(file);
    commitSignals.set(file, signal);
  }
  return signal;
}

/**
 * Batches sent to the append thread and not answered yet, at most. Two: the thread starts on the
 * next batch as soon as it has committed one, while the event loop takes in the answer, instead of
 * waiting idle for that round trip.
 */
const MAX_BATCHES_OUT = 2;

const SELECT_COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';

/** The key of an unfiltered subscription's pages (see sharedPage). */
const WHOLE_LOG = JSON.stringify({});

/**
 * Rows of this connection's last commits held for the subscriptions at most (see CommitTail): two
 * seconds of the service's hires at 2,000 a second. More than that behind, a subscription reads the file.
 */
const COMMIT_TAIL_MAX = 8_192;

export class SqliteEventStore implements EventStore {
  readonly engine = 'sqlite' as const;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly lockWaitMs: number;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly commitSignal: CommitSignal;
  private readonly subscriptions = new Set<AllSubscription>();
  /** The positions the unfiltered subscriptions last asked to read after. */
  private readonly tailReaders = new Set<{ after: bigint }>();
  /** This connection's last commits, for the subscriptions at the head (see CommitTail). */
  private readonly tail = new CommitTail(COMMIT_TAIL_MAX);
  private readonly useCommitTail: boolean;
  private closed = false;

  private readonly lastOfStream: Database.Statement<[string], { revision: bigint; position: bigint }>;
  private readonly head: Database.Statement<[], { position: bigint }>;
  /** readStream's statements by their SQL: a handful of shapes, prepared once. */
  /** The page of the log read last in this turn of the event loop (see sharedPage). */
  private lastPage: { key: string; after: bigint; limit: number; events: RecordedEvent[] } | undefined;
  /** The log's read statements (streams, pages), by their SQL. */
  private readonly reads = new StatementCache((sql) => this.db.prepare<unknown[], EventRow>(sql).raw(true));
  /** The group commit on this connection: without an append thread, or once it has stopped. */
  private groupCommit: GroupCommit | undefined;
  private readonly useAppendThread: boolean;
  private appendThread: AppendThread | undefined;
  /** Appends waiting for the next group commit, in arrival order. */
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  /** Whether the loss of the append thread has been reported. */
  private appendThreadLoss = false;
  /** Group commits under way (see MAX_BATCHES_OUT). */
  private flushing = 0;
  private checkpointer: WalCheckpointer | undefined;
  private checkpointerFailed = false;
  private readonly synchronous: SynchronousMode;
  private readonly busyTimeoutMs: number;
  private readonly backgroundCheckpoints: boolean;
  private readonly checkpointOptions: Omit<WalCheckpointerOptions, 'synchronous'> | undefined;

  constructor(options: SqliteEventStoreOptions) {
    this.path = resolve(options.path);
    this.lockWaitMs = options.lockWaitMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.pageSize = options.pageSize ?? 1000;
    mkdirSync(dirname(this.path), { recursive: true });
    this.synchronous = options.synchronous ?? 'FULL';
    this.busyTimeoutMs = options.busyTimeoutMs ?? 100;
    this.db = new Database(this.path);
    this.db.defaultSafeIntegers(true);
    this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    withBusyRetrySync(() => this.db.pragma('journal_mode = WAL'), this.lockWaitMs);
    this.db.pragma(`synchronous = ${this.synchronous}`);
    // The group commit's savepoints keep their undo pages in memory (see append-thread.ts).
    this.db.pragma('temp_store = MEMORY');
    withBusyRetrySync(() => migrate(this.db), this.lockWaitMs);
    this.commitSignal = commitSignalFor(this.path);
    this.useAppendThread = options.appendThread ?? true;
    this.backgroundCheckpoints = options.backgroundCheckpoints ?? true;
    this.checkpointOptions = options.checkpoints;
    this.useCommitTail = options.commitTail ?? true;

    this.lastOfStream = this.db.prepare(
      'SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    );
    this.head = this.db.prepare('SELECT position FROM events ORDER BY position DESC LIMIT 1');
  }

  /** The synchronous mode the connection actually runs with (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA). */
  synchronousMode(): number {
    return Number(this.db.pragma('synchronous', { simple: true }));
  }

  /** Background checkpoints so far (undefined when they are off, or before the first commit). */
  checkpointStats(): WalCheckpointerStats | undefined {
    return this.checkpointer?.stats();
  }

  /** Where appends are committed now: on the append thread, or on this connection (the event loop). */
  committingOn(): 'append-thread' | 'event-loop' {
    return this.useAppendThread && !this.appendThread?.failed ? 'append-thread' : 'event-loop';
  }

  /** `PRAGMA integrity_check`: 'ok' when the file is sound. */
  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  /**
   * Appends are committed in groups: every append that arrives while the event loop is busy (for
   * instance during the previous commit's fsync) joins the next transaction, so concurrent writers
   * share one fsync instead of queueing for one each. A lone append still commits at once.
   */
  appendToStream(streamId: string, events: EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    try {
      this.assertOpen();
      const expected = options.expectedRevision ?? 'any';
      validateAppend(streamId, events, expected);
      const prepared = events.map((event): PreparedAppend['events'][number] => [
        event.id?.toLowerCase() ?? uuidv7(),
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata ?? {}),
      ]);
      // A freshly generated id cannot be a retry: skip the idempotency look-up for it.
      const append: PreparedAppend = { streamId, events: prepared, expected, mayBeRetry: events[0].id !== undefined };
      return new Promise<AppendResult>((resolve, reject) => {
        this.queue.push(commitChannel.hasSubscribers ? { append, resolve, reject, calledAt: performance.now() } : { append, resolve, reject });
        this.scheduleFlush();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing >= (this.committingOn() === 'append-thread' ? MAX_BATCHES_OUT : 1)) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    this.flushing++;
    const batch = this.queue;
    this.queue = [];
    const flushedAt = commitChannel.hasSubscribers ? performance.now() : undefined;
    try {
      const outcomes = await this.commit(batch.map((item) => item.append));
      if (flushedAt !== undefined && commitChannel.hasSubscribers) this.publishCommit(batch, flushedAt);
      // Before the signal: the subscriptions it wakes ask for these events. Only a help to them:
      // should it fail, they read the file, and the appends' outcomes stand.
      try {
        this.addToTail(batch, outcomes);
      } catch {
        this.tail.clear();
      }
      this.commitSignal.committed();
      batch.forEach((item, i) => settle(item, outcomes[i]));
    } catch (error) {
      for (const item of batch) item.reject(error);
    } finally {
      this.flushing--;
      if (this.queue.length > 0) this.scheduleFlush();
    }
  }

  private publishCommit(batch: PendingAppend[], flushedAt: number): void {
    const now = performance.now();
    commitChannel.publish({ file: this.path, commitMs: now - flushedAt, waitsMs: batch.map((item) => now - (item.calledAt ?? flushedAt)) } satisfies CommitDiagnostics);
  }

  /** The events a group commit wrote, as the rows a read of the log would give, onto the tail. */
  private addToTail(batch: PendingAppend[], outcomes: AppendOutcome[]): void {
    if (this.tailReaders.size === 0) return;
    const rows: EventRow[] = [];
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i];
      if (outcome?.kind !== 'appended' || outcome.firstPosition === undefined || outcome.recordedAt === undefined) continue;
      const { streamId, events } = batch[i].append;
      const last = BigInt(events.length - 1);
      // Within one append the positions follow each other; should they not, nothing is assumed.
      if (outcome.position - outcome.firstPosition !== last) {
        this.tail.clear();
        return;
      }
      const firstRevision = outcome.nextExpectedRevision - last;
      for (let k = 0; k < events.length; k++) {
        const [id, type, data, metadata] = events[k];
        rows.push([outcome.firstPosition + BigInt(k), streamId, firstRevision + BigInt(k), id, type, data, metadata, outcome.recordedAt]);
      }
    }
    this.tail.add(rows);
  }

  /** Commits a group of appends, on the append thread while it runs, else on this connection. */
  private async commit(batch: PreparedAppend[]): Promise<AppendOutcome[]> {
    if (this.useAppendThread && !this.appendThread?.failed) {
      this.appendThread ??= new AppendThread({
        path: this.path,
        synchronous: this.synchronous,
        busyTimeoutMs: this.busyTimeoutMs,
        lockWaitMs: this.lockWaitMs,
        autoCheckpointPages: this.backgroundCheckpoints ? 0 : FALLBACK_CHECKPOINT_PAGES,
      });
      const checkpointer = this.backgroundCheckpoints ? this.ensureCheckpointer(APPEND_THREAD_CHECKPOINTS) : undefined;
      let reply;
      try {
        reply = await this.appendThread.commit(batch);
      } catch (error) {
        // Once, however many batches were out.
        if (!this.appendThreadLoss) {
          this.appendThreadLoss = true;
          process.emitWarning(`The append thread stopped (${error instanceof Error ? error.message : String(error)}); the event store commits on the event loop from now on`);
        }
        throw new EventStoreUnavailableError('The append thread stopped: these appends may or may not have been committed', { cause: error });
      }
      if (checkpointer?.committed()) this.appendThread.finishCheckpoint();
      if ('outcomes' in reply) return reply.outcomes;
      const cause = Object.assign(new Error(reply.failure.message), { code: reply.failure.code });
      if (reply.failure.busy) throw new EventStoreUnavailableError(`The event store stayed locked for ${this.lockWaitMs} ms`, { cause });
      throw cause;
    }
    if (!this.groupCommit) {
      this.groupCommit = createGroupCommit(this.db);
      if (this.backgroundCheckpoints) {
        // The append thread's checkpointer goes on (with its settings) when the thread has stopped.
        this.ensureCheckpointer({});
        if (!this.checkpointerFailed) this.db.pragma('wal_autocheckpoint = 0');
      }
    }
    const groupCommit = this.groupCommit;
    const outcomes = await this.whenUnlocked(() => groupCommit(batch));
    if (this.checkpointer?.committed()) this.finishCheckpoint();
    return outcomes;
  }

  /**
   * The background checkpointer, made at the first commit (with `defaults`, unless
   * options.checkpoints says otherwise), or undefined once it has failed. Should it fail, the connections that commit checkpoint in their commits again:
   * without it the WAL would grow without end.
   */
  private ensureCheckpointer(defaults: Omit<WalCheckpointerOptions, 'synchronous'>): WalCheckpointer | undefined {
    if (this.checkpointerFailed) return undefined;
    this.checkpointer ??= new WalCheckpointer(
      this.path,
      (error) => {
        this.checkpointerFailed = true;
        this.appendThread?.setAutoCheckpoint(FALLBACK_CHECKPOINT_PAGES);
        if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
        process.emitWarning(`${error.message}; the event store checkpoints in its commits again`);
      },
      { ...defaults, ...this.checkpointOptions, synchronous: this.synchronous },
    );
    return this.checkpointer;
  }

  /**
   * See WalCheckpointer.committed(): a checkpoint by the writer so that its next commit starts the
   * WAL over; here, where this connection commits (the append thread runs its own).
   */
  private finishCheckpoint(): void {
    const started = performance.now();
    try {
      const rows = this.db.pragma('wal_checkpoint(PASSIVE)');
      if (finishingCheckpointChannel.hasSubscribers) {
        finishingCheckpointChannel.publish({ file: this.path, on: 'event-loop', durationMs: performance.now() - started, complete: checkpointComplete(rows) } satisfies FinishingCheckpointDiagnostics);
      }
    } catch (error) {
      // Busy (another process): a later finish does it. Anything else is told, not thrown: the
      // appends it follows are committed, and their callers must hear so.
      if (!isBusy(error)) process.emitWarning(`the event store's finishing WAL checkpoint failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Runs `work`, and while another process holds a lock SQLite would answer SQLITE_BUSY, waits
   * without blocking the event loop and tries again, up to `lockWaitMs`: no SQLITE_BUSY reaches a
   * caller. Reads need this too (a reader can meet a lock while another process recovers the WAL).
   */
  private async whenUnlocked<T>(work: () => T): Promise<T> {
    const deadline = Date.now() + this.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      this.assertOpen();
      try {
        return work();
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (Date.now() >= deadline) {
          throw new EventStoreUnavailableError(`The event store stayed locked for ${this.lockWaitMs} ms`, {
            cause: error,
          });
        }
        await sleep(Math.min(5 * 2 ** Math.min(attempt, 6), 200) * (0.5 + Math.random()));
      }
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const direction = options.direction ?? 'forwards';
    const from = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    const conditions = ['stream_id = ?'];
    const params: (string | bigint | number)[] = [streamId];
    if (typeof from === 'bigint') {
      conditions.push(direction === 'forwards' ? 'revision >= ?' : 'revision <= ?');
      params.push(from);
    } else if (from === 'end' && direction === 'forwards') {
      conditions.push('0');
    } else if (from === 'start' && direction === 'backwards') {
      // Backwards from the first event, inclusive: that event alone (as EventStoreDB reads it).
      conditions.push('revision <= 0');
    }
    let sql = `SELECT ${SELECT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY revision ${
      direction === 'forwards' ? 'ASC' : 'DESC'
    }`;
    if (options.maxCount !== undefined) sql += ` ${limitClause(options.maxCount)}`;
    const prepared = this.reads.get(sql);
    const rows = await this.whenUnlocked(() => prepared.all(...params));
    if (rows.length === 0 && !(await this.whenUnlocked(() => this.lastOfStream.get(streamId)))) {
      throw new StreamNotFoundError(streamId);
    }
    return rows.map(toRecordedEvent);
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    return { [Symbol.asyncIterator]: () => this.iterateAll(options) };
  }

  /**
   * A hand-written iterator rather than an async generator: reading the log is the hot path of
   * every rebuild, and a generator costs several extra promise hops per event.
   */
  private iterateAll(options: ReadAllOptions): AsyncIterator<RecordedEvent> {
    const max = options.maxCount ?? Number.POSITIVE_INFINITY;
    const page = this.pageReader(options.filter);
    let after = options.after === undefined || options.after === 'start' ? 0n : options.after;
    let rows: EventRow[] = [];
    let index = 0;
    let delivered = 0;
    let lastPage = false;
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
    return {
      next: async () => {
        if (index === rows.length) {
          if (lastPage || delivered >= max) return done;
          this.assertOpen();
          const limit = Math.min(this.pageSize, max - delivered);
          rows = await this.whenUnlocked(() => page(after, limit));
          index = 0;
          lastPage = rows.length < limit;
          if (rows.length === 0) return done;
          after = rows[rows.length - 1][0];
        }
        delivered++;
        return { done: false, value: toRecordedEvent(rows[index++]) };
      },
      return: async () => {
        lastPage = true;
        rows = [];
        index = 0;
        return done;
      },
    };
  }

  /** A function reading the next page of the global log after a position, with the filter applied. */
  pageReader(filter: AllFilter = {}): (after: bigint, limit: number) => EventRow[] {
    const conditions = ['position > ?'];
    const filterParams: string[] = [];
    // An empty list keeps nothing (none of no prefixes matches), as on EventStoreDB; an absent one keeps everything.
    if (filter.streamPrefixes) {
      if (filter.streamPrefixes.length === 0) conditions.push('0');
      else conditions.push(`(${filter.streamPrefixes.map(() => 'stream_id GLOB ?').join(' OR ')})`);
      filterParams.push(...filter.streamPrefixes.map((prefix) => `${escapeGlob(prefix)}*`));
    }
    if (filter.eventTypes) {
      if (filter.eventTypes.length === 0) conditions.push('0');
      else conditions.push(`type IN (${filter.eventTypes.map(() => '?').join(', ')})`);
      filterParams.push(...filter.eventTypes);
    }
    const sql = `SELECT ${SELECT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY position`;
    // The statement of the last limit asked for, kept here: a page read is the subscriptions' hot path.
    let lastLimit = -1;
    let statement: Database.Statement<unknown[], EventRow> | undefined;
    return (after, limit) => {
      if (limit !== lastLimit || statement === undefined) {
        statement = this.reads.get(`${sql} ${limitClause(limit)}`);
        lastLimit = limit;
      }
      return statement.all(after, ...filterParams);
    };
  }

  async headPosition(): Promise<bigint | null> {
    return (await this.whenUnlocked(() => this.head.get()))?.position ?? null;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    this.assertOpen();
    const page = this.pageReader(options.filter);
    const key = JSON.stringify(options.filter ?? {});
    const reader = key === WHOLE_LOG && this.useCommitTail ? { after: -1n } : undefined;
    if (reader) this.tailReaders.add(reader);
    const subscription = new PollingAllSubscription<RecordedEvent>({
      after: options.after === undefined || options.after === 'start' ? 0n : options.after,
      readPage: (after, limit) => {
        if (reader) reader.after = after;
        return this.whenUnlocked(() => this.sharedPage(key, page, after, limit));
      },
      pageSize: this.pageSize,
      pollIntervalMs: this.pollIntervalMs,
      commitSignal: this.commitSignal,
      toRecordedEvent: (event) => event,
      onEnd: (s) => {
        this.subscriptions.delete(s);
        if (reader) this.tailReaders.delete(reader);
        if (this.tailReaders.size === 0) this.tail.clear();
      },
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * A page of the log for a subscription, read and parsed once for every subscription of this
   * store that asks for the same page in the same turn of the event loop. After a commit every
   * subscription at the head wakes and asks for the same new events (the service has three:
   * projections, publisher, the repository's watcher): one read and one parse instead of three
   * (the three reads and parses took ~6 % of the event loop while hires ran at full speed). Kept
   * for the turn only, so a page read before another process's commit is never handed out after
   * it. An unfiltered page whose events this connection has just committed comes from the commit
   * tail, without reading the file (see CommitTail).
   */
  private sharedPage(key: string, page: (after: bigint, limit: number) => EventRow[], after: bigint, limit: number): RecordedEvent[] {
    const last = this.lastPage;
    if (last !== undefined && last.key === key && last.after === after && last.limit === limit) return last.events;
    const fromTail = key === WHOLE_LOG ? this.tail.after(after, limit) : undefined;
    const events = (fromTail ?? page(after, limit)).map(toRecordedEvent);
    if (key === WHOLE_LOG) this.dropReadTail();
    if (this.lastPage === undefined) setImmediate(() => (this.lastPage = undefined));
    this.lastPage = { key, after, limit, events };
    return events;
  }

  /** Drops the tail's rows every unfiltered subscription has asked past. */
  private dropReadTail(): void {
    let least: bigint | undefined;
    for (const reader of this.tailReaders) if (least === undefined || reader.after < least) least = reader.after;
    if (least !== undefined) this.tail.dropThrough(least);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let appends already accepted finish (or fail) before the connection goes.
    while (this.flushing || this.flushScheduled) await sleep(1);
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.closed = true;
    // The threads' connections close first: the last one to close checkpoints the WAL and removes it.
    this.appendThread?.close();
    this.checkpointer?.close();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('The event store is closed');
  }
}

function settle(item: PendingAppend, outcome: AppendOutcome | undefined): void {
  switch (outcome?.kind) {
    case 'appended':
      return item.resolve({ nextExpectedRevision: outcome.nextExpectedRevision, position: outcome.position });
    case 'wrong-expected-version':
      return item.reject(new WrongExpectedVersionError(outcome.streamId, outcome.expected, outcome.actual));
    case 'duplicate-event-id':
      return item.reject(new DuplicateEventIdError(outcome.eventId, outcome.streamId));
    case 'failed':
      return item.reject(Object.assign(new Error(outcome.message), { name: outcome.name, code: outcome.code }));
    default:
      return item.reject(new Error('Append was not attempted'));
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[]/g, (c) => `[${c}]`);
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** For start-up only (opening, migrating): a short synchronous retry while another process holds the lock. */
function withBusyRetrySync<T>(work: () => T, lockWaitMs: number): T {
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      return work();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) {
        if (isBusy(error)) {
          throw new EventStoreUnavailableError(`The event store stayed locked for ${lockWaitMs} ms`, { cause: error });
        }
        throw error;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 20);
    }
  }
}
