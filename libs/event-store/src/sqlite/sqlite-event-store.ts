import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
  ExpectedRevision,
  JsonObject,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
} from '../port';
import { uuidv7 } from '../uuid-v7';
import { expectationHolds, validateAppend } from '../validation';
import { migrate } from './schema';
import { PollingAllSubscription } from './polling-subscription';
import { WalCheckpointer, type WalCheckpointerStats } from './wal-checkpointer';

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
   * Checkpoint the WAL on a worker thread (see {@link WalCheckpointer}) rather than inside a
   * commit on the event loop. Default true.
   */
  backgroundCheckpoints?: boolean;
}

/** A row of `events` as a raw tuple, in SELECT_COLUMNS order (tuples are read faster than objects). */
type EventRow = [
  position: bigint,
  streamId: string,
  revision: bigint,
  eventId: string,
  type: string,
  data: string,
  metadata: string,
  recordedAt: string,
];

interface PendingAppend {
  streamId: string;
  events: EventData[];
  expected: ExpectedRevision;
  mayBeRetry: boolean;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
  outcome?: { result: AppendResult } | { error: unknown };
}

interface StoredId {
  stream_id: string;
  revision: bigint;
}

/**
 * Commits of this process wake its subscriptions at once; commits of other processes are found
 * by polling. One emitter per database file, shared by every store instance of the process.
 */
const commitSignals = new Map<string, EventEmitter>();
function commitSignalFor(file: string): EventEmitter {
  let signal = commitSignals.get(file);
  if (!signal) {
    signal = new EventEmitter();
    signal.setMaxListeners(0);
    commitSignals.set(file, signal);
  }
  return signal;
}

const SELECT_COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';

export class SqliteEventStore implements EventStore {
  readonly engine = 'sqlite' as const;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly lockWaitMs: number;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly commitSignal: EventEmitter;
  private readonly subscriptions = new Set<AllSubscription>();
  private closed = false;

  private readonly lastOfStream: Database.Statement<[string], { revision: bigint; position: bigint }>;
  private readonly findId: Database.Statement<[string], StoredId>;
  private readonly idsInRange: Database.Statement<[string, bigint, bigint], { event_id: string; position: bigint }>;
  private readonly lastRecordedAt: Database.Statement<[], { recorded_at: string }>;
  private readonly insert: Database.Statement<[string, bigint, string, string, string, string, string]>;
  private readonly head: Database.Statement<[], { position: bigint }>;
  private readonly commitBatch: (batch: PendingAppend[]) => void;
  /** Appends waiting for the next group commit, in arrival order. */
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private flushing = false;
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(options: SqliteEventStoreOptions) {
    this.path = resolve(options.path);
    this.lockWaitMs = options.lockWaitMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.pageSize = options.pageSize ?? 1000;
    mkdirSync(dirname(this.path), { recursive: true });
    this.db = new Database(this.path);
    this.db.defaultSafeIntegers(true);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 100}`);
    withBusyRetrySync(() => this.db.pragma('journal_mode = WAL'), this.lockWaitMs);
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    withBusyRetrySync(() => migrate(this.db), this.lockWaitMs);
    this.commitSignal = commitSignalFor(this.path);
    if (options.backgroundCheckpoints ?? true) {
      this.checkpointer = WalCheckpointer.forConnection(this.db, this.path, { synchronous: options.synchronous ?? 'FULL', what: 'the event store', fallbackPages: 1000 });
    }

    this.lastOfStream = this.db.prepare(
      'SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    );
    this.findId = this.db.prepare('SELECT stream_id, revision FROM events WHERE event_id = ?');
    this.idsInRange = this.db.prepare(
      'SELECT event_id, position FROM events WHERE stream_id = ? AND revision BETWEEN ? AND ? ORDER BY revision',
    );
    this.lastRecordedAt = this.db.prepare('SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1');
    this.insert = this.db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.head = this.db.prepare('SELECT position FROM events ORDER BY position DESC LIMIT 1');
    // Each append runs in a savepoint of the group's transaction: it stays atomic on its own, and
    // a refused append (wrong expected version) does not undo the others.
    const appendOne = this.db.transaction(this.appendInTransaction.bind(this));
    const appendGroup = this.db.transaction((batch: PendingAppend[]) => {
      // One instant for the group: its appends become visible together, in one commit.
      const recordedAt = this.nextRecordedAt();
      for (const item of batch) {
        try {
          item.outcome = {
            result: appendOne(item.streamId, item.events, item.expected, item.mayBeRetry, recordedAt),
          };
        } catch (error) {
          if (isBusy(error)) throw error;
          item.outcome = { error };
        }
      }
    });
    this.commitBatch = (batch) => appendGroup.immediate(batch);
  }

  /** The synchronous mode the connection actually runs with (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA). */
  synchronousMode(): number {
    return Number(this.db.pragma('synchronous', { simple: true }));
  }

  /** Background checkpoints so far (undefined when they are off). */
  checkpointStats(): WalCheckpointerStats | undefined {
    return this.checkpointer?.stats();
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
      const prepared = events.map((event) => ({ ...event, id: event.id?.toLowerCase() ?? uuidv7() }));
      // A freshly generated id cannot be a retry: skip the idempotency look-up for it.
      const mayBeRetry = events[0].id !== undefined;
      return new Promise<AppendResult>((resolve, reject) => {
        this.queue.push({ streamId, events: prepared, expected, mayBeRetry, resolve, reject });
        this.scheduleFlush();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    this.flushing = true;
    const batch = this.queue;
    this.queue = [];
    try {
      await this.commitWithRetry(batch);
      if (this.checkpointer?.committed()) this.finishCheckpoint();
      this.commitSignal.emit('commit');
      for (const item of batch) {
        if (item.outcome && 'result' in item.outcome) item.resolve(item.outcome.result);
        else item.reject(item.outcome?.error ?? new Error('Append was not attempted'));
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.scheduleFlush();
    }
  }

  /** See WalCheckpointer.committed(): a short checkpoint so that the next commit starts the WAL over. */
  private finishCheckpoint(): void {
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      if (!isBusy(error)) throw error;
    }
  }

  private commitWithRetry(batch: PendingAppend[]): Promise<void> {
    return this.whenUnlocked(() => this.commitBatch(batch));
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

  private appendInTransaction(
    streamId: string,
    events: EventData[],
    expected: ExpectedRevision,
    mayBeRetry: boolean,
    recordedAt: string,
  ): AppendResult {
    const last = this.lastOfStream.get(streamId);
    if (mayBeRetry) {
      const retried = this.findIdempotentRetry(streamId, events, expected, last);
      if (retried) return retried;
    }

    const actual = last ? last.revision : 'no_stream';
    if (!expectationHolds(expected, actual)) {
      throw new WrongExpectedVersionError(streamId, expected, actual);
    }

    let revision = last ? last.revision : -1n;
    let position = 0n;
    for (const event of events) {
      revision++;
      try {
        const info = this.insert.run(
          streamId,
          revision,
          event.id as string,
          event.type,
          JSON.stringify(event.data),
          JSON.stringify(event.metadata ?? {}),
          recordedAt,
        );
        position = BigInt(info.lastInsertRowid);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new DuplicateEventIdError(event.id as string, streamId);
        }
        throw error;
      }
    }
    return { nextExpectedRevision: revision, position };
  }

  /**
   * EventStoreDB's idempotency: when the first event's id is already in this stream, at the place
   * the same expectation would have put it, and the following ids match, the earlier append is
   * answered again and nothing is written.
   */
  private findIdempotentRetry(
    streamId: string,
    events: EventData[],
    expected: ExpectedRevision,
    last: { revision: bigint } | undefined,
  ): AppendResult | undefined {
    const first = this.findId.get(events[0].id as string);
    if (!first) return undefined;
    if (first.stream_id !== streamId) throw new DuplicateEventIdError(events[0].id as string, streamId);
    const from = first.revision;
    const placeMatches =
      expected === 'any' ||
      expected === 'stream_exists' ||
      (expected === 'no_stream' && from === 0n) ||
      (typeof expected === 'bigint' && from === expected + 1n);
    const to = from + BigInt(events.length) - 1n;
    const stored = placeMatches ? this.idsInRange.all(streamId, from, to) : [];
    const sameIds = stored.length === events.length && stored.every((row, i) => row.event_id === events[i].id);
    if (sameIds) return { nextExpectedRevision: to, position: stored[stored.length - 1].position };
    // The ids were written by another append: report the conflict the caller can act on.
    const actual = last ? last.revision : 'no_stream';
    if (!expectationHolds(expected, actual)) throw new WrongExpectedVersionError(streamId, expected, actual);
    throw new DuplicateEventIdError(events[0].id as string, streamId);
  }

  /** Recording instants never go backwards in position order, even if the wall clock does. */
  private nextRecordedAt(): string {
    const now = new Date().toISOString();
    const previous = this.lastRecordedAt.get()?.recorded_at;
    return previous !== undefined && previous > now ? previous : now;
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
    }
    let sql = `SELECT ${SELECT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY revision ${
      direction === 'forwards' ? 'ASC' : 'DESC'
    }`;
    if (options.maxCount !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.maxCount);
    }
    const statement = this.db.prepare<unknown[], EventRow>(sql).raw(true);
    const rows = await this.whenUnlocked(() => statement.all(...params));
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
    if (filter.streamPrefixes?.length) {
      conditions.push(`(${filter.streamPrefixes.map(() => 'stream_id GLOB ?').join(' OR ')})`);
      filterParams.push(...filter.streamPrefixes.map((prefix) => `${escapeGlob(prefix)}*`));
    }
    if (filter.eventTypes?.length) {
      conditions.push(`type IN (${filter.eventTypes.map(() => '?').join(', ')})`);
      filterParams.push(...filter.eventTypes);
    }
    const statement = this.db
      .prepare<unknown[], EventRow>(
        `SELECT ${SELECT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY position LIMIT ?`,
      )
      .raw(true);
    return (after, limit) => statement.all(after, ...filterParams, limit);
  }

  async headPosition(): Promise<bigint | null> {
    return (await this.whenUnlocked(() => this.head.get()))?.position ?? null;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    this.assertOpen();
    const page = this.pageReader(options.filter);
    const subscription = new PollingAllSubscription({
      after: options.after === undefined || options.after === 'start' ? 0n : options.after,
      readPage: (after, limit) => this.whenUnlocked(() => page(after, limit)),
      pageSize: this.pageSize,
      pollIntervalMs: this.pollIntervalMs,
      commitSignal: this.commitSignal,
      toRecordedEvent,
      onEnd: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let appends already accepted finish (or fail) before the connection goes.
    while (this.flushing || this.flushScheduled) await sleep(1);
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.closed = true;
    // The worker's connection closes first: the last one to close checkpoints the WAL and removes it.
    this.checkpointer?.close();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('The event store is closed');
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamId: row[1],
    revision: row[2],
    position: row[0],
    id: row[3],
    type: row[4],
    data: JSON.parse(row[5]),
    metadata: JSON.parse(row[6]) as JsonObject,
    recordedAt: row[7],
  };
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
