import Database from 'better-sqlite3';
import { SCHEMA_VERSION, SqliteEventStore, StoredEvent, toRecordedEvent, type EventRow, type EventStore, type RecordedEvent } from '@sroi/event-store';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { INTEGRATION_STREAM_PREFIX } from '../integration/integration-streams';
import { defineMunicipalityKey, integrationEventCheckSql, IntegrationLogProjection, municipalityKeySql } from '../integration/integration-log-projection';
import { CONTRACT_STREAM_PREFIX, contractEventCheckSql, contractIdOf, decodeContractEvent, MalformedContractEventError } from './contract-events';
import { ContractProjection, newRow, ROW_EVENT_TYPES } from './contract-projection';
import { ContractTables, type NewContractRow } from './contract-tables';
import { commitBatch } from './projection-runner';
import { ReadModelDatabase } from './read-model-database';
import { workerScript } from '../platform/worker-script';

export interface RebuildOptions {
  /** Events per transaction when the log is read event by event (another engine than SQLite). Default 5,000. Memory grows with it. */
  batchSize?: number;
  /**
   * Events in a SQLite log from which, when it holds public events, the contract rows are built in
   * a worker thread while the calling thread copies the integration log. Default 200,000 (below,
   * starting the thread costs more than it saves).
   */
  parallelFrom?: number;
  /** Called after each committed batch. */
  onProgress?: (progress: { events: number; position: bigint }) => void;
  /** Stops the build between two batches: it then rejects with {@link RebuildAbortedError}. */
  signal?: AbortSignal;
}

/** The build was stopped by its `signal` (the service is shutting down). */
export class RebuildAbortedError extends Error {
  readonly code = 'rebuild-aborted';
  constructor() {
    super('the read-model build was stopped');
    this.name = 'RebuildAbortedError';
  }
}

/** What the build looks at between its steps: an AbortSignal, or the worker thread's flag. */
type StopSignal = Pick<AbortSignal, 'aborted'>;

function throwIfAborted(signal: StopSignal | undefined): void {
  if (signal?.aborted) throw new RebuildAbortedError();
}

export interface RebuildResult {
  /** Events of $all read (contract events applied, others skipped). */
  events: number;
  /** Checkpoint of the rebuilt read models: the last event read, or null for an empty store. */
  position: bigint | null;
  contracts: number;
  elapsedMs: number;
}

/** The read-model file is open in another process (the service): stop it first. */
export class ReadModelsInUseError extends Error {
  readonly code = 'read-models-in-use';
  constructor(readonly file: string) {
    super(`The read models at ${file} are in use by another process (is the service running?). Stop it, then rebuild.`);
    this.name = 'ReadModelsInUseError';
  }
}

/**
 * Rebuilds the read models from position 0 of the store into a NEW file beside `file`, with the
 * same projections as live processing, then swaps it in atomically (rename). The live file is
 * never touched while building; the swap refuses, with {@link ReadModelsInUseError}, while
 * another process has the file open.
 */
export async function rebuildReadModels(store: EventStore, file: string, options: RebuildOptions = {}): Promise<RebuildResult> {
  const started = performance.now();
  const target = resolve(file);
  const building = `${target}.rebuild-${process.pid}`;
  removeDatabase(building);
  const storeFile = store instanceof SqliteEventStore ? openStoreFile(store.path) : null;
  let database: ReadModelDatabase;
  try {
    // Durability comes from the fsync before the swap: while building, a crash just loses the new file.
    database = new ReadModelDatabase(building, { synchronous: 'OFF', mode: 'building', cacheKiB: storeFile ? SMALL_CACHE_KIB : undefined });
  } catch (error) {
    storeFile?.close();
    throw error;
  }
  let built: Omit<RebuildResult, 'elapsedMs'>;
  try {
    built = await buildInto(store, database, storeFile, options);
    database.finishBuilding();
  } catch (error) {
    database.close();
    removeDatabase(building);
    throw error;
  }
  database.close();
  fsyncFile(building);
  try {
    swapIn(building, target);
  } catch (error) {
    removeDatabase(building);
    throw error;
  }
  return { ...built, elapsedMs: performance.now() - started };
}

/**
 * The live service's fast start: when the read models are new (no checkpoint, no row) and the store
 * is the SQLite engine holding at least `from` events (default 100,000), builds them in place the
 * way a rebuild does, and returns what it built; null when it does not apply. Rows without a
 * checkpoint (a build the process was killed in) are deleted first. On failure nothing of it stays
 * (the tables are emptied) and the error is thrown: the caller then catches up event by event,
 * which reports a bad event at its place in the log.
 */
export async function buildNewReadModels(store: EventStore, database: ReadModelDatabase, options: RebuildOptions & { from?: number } = {}): Promise<Omit<RebuildResult, 'elapsedMs'> | null> {
  if (!(store instanceof SqliteEventStore)) return null;
  // Every live commit writes the checkpoints with its rows: rows without one are what a build
  // stopped by a crash left behind. Start that over.
  if (database.checkpoint('contracts') === null && database.checkpoint('integration-log') === null) {
    if (!database.isEmpty()) database.clear();
    removeStaleParts(database.path);
  }
  if (!database.isEmpty()) return null;
  const storeFile = openStoreFile(store.path);
  if (!storeFile) return null;
  try {
    if (storeFile.total < (options.from ?? 100_000)) return null;
    return await buildInto(store, database, storeFile, options);
  } catch (error) {
    database.clear();
    throw error;
  } finally {
    storeFile.close();
  }
}

/**
 * Builds the read models of `store` from position 0 into `database`, which holds none yet: from
 * the SQLite engine's file directly when `storeFile` reads it (see {@link buildContracts}), else
 * event by event in log order through `readAll`. Ends with every projection's checkpoint at the
 * last position read.
 */
async function buildInto(store: EventStore, database: ReadModelDatabase, storeFile: StoreFile | null, options: RebuildOptions): Promise<Omit<RebuildResult, 'elapsedMs'>> {
  throwIfAborted(options.signal);
  let events = 0;
  let position: bigint | null = null;
  const projections = [new ContractProjection(new ContractTables(database)), new IntegrationLogProjection(database.db)];
  if (storeFile) {
    position = storeFile.head;
    const head = storeFile.head;
    if (head !== null) {
      let done = 0;
      const progress = (n: number, at: bigint): void => options.onProgress?.({ events: Math.min((done += n), storeFile.total), position: at });
      const copying = storeFile.holds(prefixRange(INTEGRATION_STREAM_PREFIX));
      if (copying && storeFile.total >= (options.parallelFrom ?? PARALLEL_FROM)) {
        // SQLite copies the integration log on this thread while a worker thread builds the
        // contract rows into a file of its own (one writer per file), merged afterwards.
        const part = `${database.path}.contracts-${process.pid}`;
        removeDatabase(part);
        try {
          const stop = new AbortController();
          const onAbort = (): void => stop.abort();
          options.signal?.addEventListener('abort', onAbort, { once: true });
          try {
            const built = buildContractsInWorker({ storePath: storeFile.path, file: part, head }, progress, stop.signal);
            built.catch(() => undefined); // awaited below, after the copy
            try {
              await copyIntegrationEvents(database, storeFile, head, progress, options.signal);
            } catch (error) {
              stop.abort();
              await built.catch(() => undefined);
              throw error;
            }
            await built;
          } finally {
            options.signal?.removeEventListener('abort', onAbort);
          }
          throwIfAborted(options.signal);
          mergeContracts(database, part);
        } finally {
          removeDatabase(part);
        }
      } else {
        await buildContracts(database, storeFile, head, progress, options.signal);
        await copyIntegrationEvents(database, storeFile, head, progress, options.signal);
      }
      // The checkpoint is the head even when the log's last events are neither.
      database.transaction(() => projections.forEach((p) => database.saveCheckpoint(p.name, head)));
      if (done < storeFile.total) progress(storeFile.total - done, head); // the events of other streams
    }
    events = storeFile.total;
  } else {
    for await (const batch of readInBatches(store, options.batchSize ?? 5_000)) {
      throwIfAborted(options.signal);
      const last = batch[batch.length - 1].position;
      commitBatch(database, projections, batch, last);
      events += batch.length;
      position = last;
      options.onProgress?.({ events, position: last });
    }
  }
  const contracts = (database.db.prepare('SELECT count(*) AS n FROM contracts').get() as { n: number }).n;
  return { events, position, contracts };
}

/** SQLite page cache of each connection of a rebuild, in KiB: it reads and writes in key order, so more buys nothing. */
const SMALL_CACHE_KIB = 2_048;

/** A range of stream ids: [from, to). */
type StreamRange = readonly [from: string, to: string];

/** The SQLite engine's file, read on a connection of the rebuild's own, up to the head it had when opened. */
interface StoreFile {
  path: string;
  /** The read-only connection (its TEMP tables are the rebuild's scratch space). */
  db: Database.Database;
  /** Position of the last event of the log when the rebuild started: the checkpoint it ends at. */
  head: bigint | null;
  /** Events of $all up to `head`. */
  total: number;
  /** Whether the streams of `range` hold an event up to `head`. */
  holds(range: StreamRange): boolean;
  close(): void;
}

/** Every stream id starting with `prefix` sorts in [prefix, prefix with its last character + 1). */
function prefixRange(prefix: string): StreamRange {
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)];
}

/** The store's file, or null when its schema is not the one this knows (the caller then reads `$all`). */
function openStoreFile(path: string, atHead?: bigint): StoreFile | null {
  const db = new Database(path, { fileMustExist: true, readonly: true });
  try {
    db.pragma(`cache_size = -${SMALL_CACHE_KIB}`);
    db.defaultSafeIntegers(true);
    if (SCHEMA_VERSION !== 1 || Number(db.pragma('user_version', { simple: true })) !== 1) {
      db.close();
      return null;
    }
    // One read transaction for the whole build: every statement sees the log as it was at `head`.
    db.exec('BEGIN');
    const head = atHead ?? (db.prepare('SELECT max(position) FROM events').pluck().get() as bigint | null) ?? null;
    // (A worker thread given `atHead` counts nothing: its caller has.)
    const total = head === null || atHead !== undefined ? 0 : Number(db.prepare('SELECT count(*) FROM events').pluck().get() as bigint);
    return {
      path,
      db,
      head,
      total,
      holds: ([from, to]) => head !== null && db.prepare('SELECT 1 FROM events WHERE stream_id >= ? AND stream_id < ? AND position <= ? LIMIT 1').get(from, to, head) !== undefined,
      close: () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Contract rows written per transaction of a build. */
const CONTRACTS_PER_TRANSACTION = 2_000;

/**
 * The contract rows built from the store's file with SQLite doing the reading. A row depends on
 * the stream's registration, period changes and closing (few events), and on the revision,
 * position and recording instant of its last event; the other events are only checked. So:
 *
 * 1. one scan of the log (in SQLite, no row comes to JavaScript) marks the events a row depends
 *    on and those that fail the checks `decodeContractEvent` makes (`contractEventCheckSql`);
 * 2. the stream index alone gives each contract stream's count, first and last revision and
 *    last position;
 * 3. one pass in stream order joins the two and reads the marked events' data: each stream is
 *    checked (revisions 0..n without a gap, registration first) and its row written with the
 *    live projection's own functions; a marked event that fails the checks stops the build,
 *    named as the live projection names it.
 *
 * Memory is bounded by the transaction size, not by the log: the marks are a TEMP table of SQLite's.
 */
async function buildContracts(
  database: ReadModelDatabase,
  file: StoreFile,
  head: bigint,
  onBatch: (events: number, position: bigint) => void,
  signal: StopSignal | undefined,
): Promise<void> {
  const [from, to] = prefixRange(CONTRACT_STREAM_PREFIX);
  const db = file.db;
  const range = { from, to, head };
  const rowTypes = ROW_EVENT_TYPES.map((t) => `'${t}'`).join(', ');
  db.exec(`CREATE TEMP TABLE rebuild_marks (stream_id TEXT NOT NULL, revision INTEGER NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (stream_id, revision)) WITHOUT ROWID;
    CREATE TEMP TABLE rebuild_streams (stream_id TEXT PRIMARY KEY, events INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL, last_position INTEGER NOT NULL) WITHOUT ROWID;`);
  try {
    // `+stream_id`: a scan of the table in log order, not a walk of the stream index.
    db.prepare(
      `INSERT INTO temp.rebuild_marks SELECT stream_id, revision, position FROM events
       WHERE +stream_id >= @from AND +stream_id < @to AND position <= @head AND (type IN (${rowTypes}) OR NOT (${contractEventCheckSql()}))`,
    ).run(range);
    throwIfAborted(signal);
    await yieldToEventLoop();
    db.prepare(
      `INSERT INTO temp.rebuild_streams SELECT stream_id, count(*), min(revision), max(revision), max(position) FROM events
       WHERE stream_id >= @from AND stream_id < @to AND position <= @head GROUP BY stream_id`,
    ).run(range);
    throwIfAborted(signal);
    await yieldToEventLoop();
    // A row per stream with no marked event, else a row per marked event, in stream and revision order.
    const rows = db
      .prepare(
        `SELECT s.stream_id, s.events, s.first, s.last, s.last_position, l.recorded_at,
                e.position, e.revision, e.event_id, e.type, e.data, e.metadata, e.recorded_at
         FROM temp.rebuild_streams s JOIN events l ON l.position = s.last_position
         LEFT JOIN temp.rebuild_marks m ON m.stream_id = s.stream_id LEFT JOIN events e ON e.position = m.position
         ORDER BY s.stream_id, m.revision`,
      )
      .raw(true);
    const tables = new ContractTables(database);
    const eventAt = db.prepare('SELECT position, stream_id, revision, event_id, type, data, metadata, recorded_at FROM events WHERE stream_id = ? AND revision = ?').raw(true);
    /** The stored event at a revision of a stream (for an error about it); only parsed when it is JSON. */
    const recordAt = (streamId: string, revision: bigint): Pick<RecordedEvent, 'streamId' | 'revision' | 'position' | 'type'> => {
      const r = eventAt.get(streamId, revision) as EventRow;
      return { streamId: r[1], revision: r[2], position: r[0], type: r[4] };
    };
    let batch: NewContractRow[] = [];
    let batchEvents = 0;
    let lastPosition = 0n;
    const flush = async (): Promise<void> => {
      const written = batch;
      database.transaction(() => written.forEach((row) => tables.insertContract(row)));
      onBatch(batchEvents, lastPosition);
      batch = [];
      batchEvents = 0;
      throwIfAborted(signal);
      await yieldToEventLoop();
    };
    let stream: StreamRow | null = null;
    let row: NewContractRow | null = null;
    const endStream = (): void => {
      const s = stream as StreamRow;
      if (!row) throw new MalformedContractEventError(recordAt(s.streamId, 0n), 'the first event of a contract stream must be ContractRegistered');
      batch.push({ ...row, revision: Number(s.last), position: String(s.lastPosition), updatedAt: s.lastRecordedAt });
      batchEvents += Number(s.events);
      lastPosition = s.lastPosition;
    };
    // The iterator holds the store's connection; the rows are written on the read models' own.
    for (const r of rows.iterate(range) as IterableIterator<JoinedRow>) {
      if (stream === null || r[0] !== stream.streamId) {
        if (stream !== null) {
          endStream();
          if (batch.length >= CONTRACTS_PER_TRANSACTION) await flush();
        }
        stream = { streamId: r[0], events: r[1], first: r[2], last: r[3], lastPosition: r[4], lastRecordedAt: r[5] };
        row = null;
        if (stream.first !== 0n) throw new MalformedContractEventError(recordAt(stream.streamId, stream.first), 'the projection holds no earlier event of this stream (expected revision 0)');
        if (stream.events !== stream.last + 1n) {
          const gap = db.prepare('SELECT a.revision + 1 FROM events a WHERE a.stream_id = ? AND a.revision < ? AND NOT EXISTS (SELECT 1 FROM events b WHERE b.stream_id = a.stream_id AND b.revision = a.revision + 1) ORDER BY a.revision LIMIT 1').pluck().get(stream.streamId, stream.last) as bigint;
          const after = db.prepare('SELECT min(revision) FROM events WHERE stream_id = ? AND revision > ?').pluck().get(stream.streamId, gap) as bigint;
          throw new MalformedContractEventError(recordAt(stream.streamId, after), `expected revision ${gap} of the stream next`);
        }
      }
      if (r[6] === null) continue; // no marked event: endStream says what is missing
      const recorded = new StoredEvent(r[6], r[0], r[7] as bigint, r[8] as string, r[9] as string, r[10] as string, r[11] as string, r[12] as string);
      const event = decodeContractEvent(recorded);
      if (recorded.revision === 0n) row = newRow(contractIdOf(recorded.streamId), recorded, event);
      else if (!row) throw new MalformedContractEventError(recordAt(recorded.streamId, 0n), 'the first event of a contract stream must be ContractRegistered');
      else if (event.type === 'ContractRegistered') throw new MalformedContractEventError(recorded, 'the contract is registered already');
      else if (event.type === 'ContractPeriodChanged') row.endDate = event.data.endDate;
      else if (event.type === 'ContractClosed') row.closed = 1;
    }
    if (stream !== null) endStream();
    if (batch.length > 0) await flush();
  } finally {
    db.exec('DROP TABLE IF EXISTS temp.rebuild_marks; DROP TABLE IF EXISTS temp.rebuild_streams');
  }
}

/** A contract stream as the build reads it: count, first and last revision, last position and its recording instant. */
interface StreamRow {
  streamId: string;
  events: bigint;
  first: bigint;
  last: bigint;
  lastPosition: bigint;
  lastRecordedAt: string;
}

/** A row of the build's join: the stream's figures, then a marked event (all NULL when it has none). */
type JoinedRow = [string, bigint, bigint, bigint, bigint, string, bigint | null, bigint | null, string | null, string | null, string | null, string | null, string | null];

/**
 * The integration log (table `integration_events`) copied from the store's integration streams by
 * SQLite itself: its rows are the stored events' JSON text and a few of its fields, so nothing
 * needs to be parsed in JavaScript. Only events that pass the checks {@link IntegrationLogProjection}
 * makes are copied; when one did not, the first such event goes through that projection, which
 * names the problem (the rebuild then fails).
 * Copied in chunks in log order (a scan by rowid: no sort), yielding to the event loop between them.
 */
async function copyIntegrationEvents(
  database: ReadModelDatabase,
  file: StoreFile,
  head: bigint,
  onBatch: (events: number, position: bigint) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const [from, to] = prefixRange(INTEGRATION_STREAM_PREFIX);
  if (!file.holds([from, to])) return;
  const db = database.db;
  defineMunicipalityKey(db);
  db.prepare('ATTACH DATABASE ? AS store').run(file.path);
  try {
    // `+stream_id`: no index on it, so the rows are read in rowid (log) order.
    const inRange = '+stream_id >= @from AND +stream_id < @to AND position > @after AND position <= @head';
    const valid = integrationEventCheckSql('data', 'type');
    const copy = db.prepare(
      `INSERT INTO integration_events (position, event_id, type, municipality_key, municipality, contract_id, json)
       SELECT position, json_extract(data, '$.id'), type, ${municipalityKeySql("json_extract(data, '$.municipality')")},
              json_extract(data, '$.municipality'), json_extract(data, '$.contractId'), data
       FROM store.events WHERE ${inRange} AND (${valid}) ORDER BY position LIMIT @limit`,
    );
    const last = db.prepare('SELECT max(position) FROM integration_events').pluck().safeIntegers(true);
    let after = 0n;
    for (;;) {
      throwIfAborted(signal);
      const { changes } = database.transaction(() => copy.run({ from, to, after, head, limit: INTEGRATION_COPY_CHUNK }));
      if (changes === 0) break;
      after = last.get() as bigint;
      onBatch(changes, after);
      if (changes < INTEGRATION_COPY_CHUNK) break;
      await yieldToEventLoop();
    }
    const inStore = db.prepare(`SELECT count(*) FROM store.events WHERE ${inRange}`).pluck().get({ from, to, after: 0n, head }) as number;
    const copied = db.prepare('SELECT count(*) FROM integration_events').pluck().get() as number;
    if (copied !== inStore) {
      // An event failed the checks: find the first one and say what is wrong with it.
      const invalid = db.prepare(`SELECT position FROM store.events WHERE ${inRange} AND NOT (${valid}) ORDER BY position LIMIT 1`).pluck().safeIntegers(true);
      const bad = invalid.get({ from, to, after: 0n, head }) as bigint | undefined;
      if (bad !== undefined) {
        const row = db.prepare('SELECT position, stream_id, revision, event_id, type, data, metadata, recorded_at FROM store.events WHERE position = ?').raw(true).safeIntegers(true).get(bad) as EventRow;
        const event = toRecordedEvent(row);
        try {
          void event.data; // parsed here, so that text which is not JSON is named as such
        } catch (error) {
          throw new MalformedContractEventError({ streamId: row[1], revision: row[2], position: row[0], type: row[4] }, 'its data is not JSON', { cause: error });
        }
        new IntegrationLogProjection(db).apply([event]);
        throw new MalformedContractEventError(event, 'the public event does not have the shape of an integration event');
      }
      throw new Error(`The integration log copied ${copied} of the ${inStore} public events of the store`);
    }
  } finally {
    db.exec('DETACH DATABASE store');
  }
}

/** Integration events copied per transaction. */
const INTEGRATION_COPY_CHUNK = 20_000;

/**
 * The whole log in batches of `size` events, streamed (one batch in memory at a time). The SQLite
 * engine is read directly, a page per batch, with no promise per event; any other store through
 * `readAll`.
 */
async function* readInBatches(store: EventStore, size: number): AsyncGenerator<RecordedEvent[]> {
  if (store instanceof SqliteEventStore) {
    const page = store.pageReader();
    let after = 0n;
    for (;;) {
      const rows = page(after, size);
      if (rows.length === 0) return;
      const batch = new Array<RecordedEvent>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        batch[i] = toRecordedEvent(r);
      }
      const last = rows.length < size;
      after = batch[batch.length - 1].position;
      rows.length = 0; // the raw rows are garbage while the batch is applied
      yield batch;
      if (last) return;
      await yieldToEventLoop();
    }
  }
  let batch: RecordedEvent[] = [];
  for await (const event of store.readAll({ after: 'start' })) {
    batch.push(event);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Renames `building` over `target`. SQLite cannot switch a database out of WAL mode while another
 * connection has it open, so that switch is the in-use test; the exclusive lock then keeps other
 * processes out until the rename is done.
 */
function swapIn(building: string, target: string): void {
  if (existsSync(target)) {
    let lock: Database.Database | undefined;
    try {
      lock = new Database(target, { timeout: 1_000 });
      lock.pragma('journal_mode = DELETE');
      lock.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      lock?.close();
      const code = (error as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) throw new ReadModelsInUseError(target);
      // Not a readable database (a damaged file is a reason to rebuild): replace it with its journals.
      rmSync(`${target}-wal`, { force: true });
      rmSync(`${target}-shm`, { force: true });
      lock = undefined;
    }
    try {
      renameSync(building, target);
    } finally {
      if (lock?.inTransaction) lock.exec('ROLLBACK');
      lock?.close();
    }
  } else {
    renameSync(building, target);
  }
  fsyncFile(dirname(target));
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Files of contract rows that builds into `file` left when their process was killed. */
function removeStaleParts(file: string): void {
  const prefix = `${basename(file)}.contracts-`;
  for (const name of readdirSync(dirname(file))) if (name.startsWith(prefix)) rmSync(join(dirname(file), name), { force: true });
}

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

/** Events of a log from which the contract rows are built in a worker thread beside the integration log's copy (see RebuildOptions.parallelFrom). */
const PARALLEL_FROM = 200_000;

/** What the worker thread builds: the contract rows of the store's log up to `head`, into `file`. */
interface ContractsJob {
  storePath: string;
  file: string;
  head: bigint;
}

type WorkerMessage = { progress: number; position: bigint } | { done: true } | { failed: { name: string; message: string } };

/** The worker thread's side: opens the store at `head`, builds the contract rows into `job.file`. */
async function buildContractsPart(job: ContractsJob & { stop: SharedArrayBuffer }, onBatch: (events: number, position: bigint) => void): Promise<void> {
  const file = openStoreFile(job.storePath, job.head);
  if (!file) throw new Error(`${job.storePath}: not an event store file of schema version ${SCHEMA_VERSION}`);
  try {
    const database = new ReadModelDatabase(job.file, { synchronous: 'OFF', mode: 'building', cacheKiB: SMALL_CACHE_KIB });
    try {
      const stop = new Int32Array(job.stop);
      await buildContracts(database, file, job.head, onBatch, {
        get aborted() {
          return Atomics.load(stop, 0) === 1;
        },
      });
    } finally {
      database.close();
    }
  } finally {
    file.close();
  }
}

/**
 * Runs {@link buildContractsPart} in a worker thread on this module (see the end of the file);
 * built, the thread loads the rebuild's bundle (dist/apps/api/rebuild.js), also from the
 * service's (main.js), which would start a whole service in the thread. Stopped by `signal`, the
 * thread is asked to end after the statement it runs (never terminated: terminating a thread inside
 * a better-sqlite3 call can abort the whole process) and this rejects once it has.
 */
async function buildContractsInWorker(job: ContractsJob, onBatch: (events: number, position: bigint) => void, signal: AbortSignal): Promise<void> {
  const { script, options } = workerScript(__filename, __filename, 'rebuild.js');
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(script, {
    workerData: { [CONTRACTS_JOB]: { ...job, stop } },
    ...options,
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 },
  });
  const exited = new Promise<void>((resolveExit) => worker.once('exit', () => resolveExit()));
  const onAbort = (): void => {
    Atomics.store(new Int32Array(stop), 0, 1);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolveJob, rejectJob) => {
      worker.on('message', (m: WorkerMessage) => {
        if ('progress' in m) onBatch(m.progress, m.position);
        else if ('done' in m) resolveJob();
        else rejectJob(m.failed.name === 'RebuildAbortedError' ? new RebuildAbortedError() : Object.assign(new Error(m.failed.message), { name: m.failed.name }));
      });
      worker.on('error', rejectJob);
      worker.on('exit', (code) => rejectJob(new Error(`the rebuild's worker thread stopped (exit code ${code}) before it finished`)));
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    onAbort(); // after a failure here, the thread ends too
    await exited;
  }
}

/** Copies the contract rows the worker built in `part` into the database (SQLite to SQLite). */
function mergeContracts(database: ReadModelDatabase, part: string): void {
  database.db.prepare('ATTACH DATABASE ? AS part').run(part);
  try {
    database.transaction(() => database.db.exec('INSERT INTO contracts SELECT * FROM part.contracts'));
  } finally {
    database.db.exec('DETACH DATABASE part');
  }
}

/** How often the worker thread reports its progress (ms). */
const PROGRESS_MS = 100;

/** The worker thread's side: this module, loaded with a {@link ContractsJob} as its workerData (last: it uses the whole module). */
const CONTRACTS_JOB = 'sroiRebuildContracts';
if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[CONTRACTS_JOB]) {
  const port = parentPort;
  const post = (message: WorkerMessage): void => port.postMessage(message);
  let unreported = 0;
  let reportedAt = Number.NEGATIVE_INFINITY;
  let last: bigint | undefined;
  const report = (position: bigint): void => {
    post({ progress: unreported, position });
    unreported = 0;
    reportedAt = performance.now();
  };
  buildContractsPart((workerData as Record<string, ContractsJob & { stop: SharedArrayBuffer }>)[CONTRACTS_JOB], (events, position) => {
    unreported += events;
    last = position;
    if (performance.now() - reportedAt >= PROGRESS_MS) report(position);
  }).then(
    () => {
      if (unreported > 0 && last !== undefined) report(last);
      post({ done: true });
    },
    (error: unknown) => post({ failed: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) } }),
  );
}
