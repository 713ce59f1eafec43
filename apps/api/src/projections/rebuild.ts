import Database from 'better-sqlite3';
import { SCHEMA_VERSION, SqliteEventStore, type EventStore, type JsonObject, type JsonValue, type RecordedEvent } from '@sroi/event-store';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { PUBLIC_EVENT_TYPES } from '@sroi/integration-events';
import { municipalityKey } from '../integration/integration-log';
import { INTEGRATION_STREAM_PREFIX } from '../integration/integration-streams';
import { IntegrationLogProjection } from '../integration/integration-log-projection';
import { CONTRACT_STREAM_PREFIX, MalformedContractEventError } from './contract-events';
import { ContractProjection } from './contract-projection';
import { ContractTables } from './contract-tables';
import { commitBatch } from './projection-runner';
import { ReadModelDatabase } from './read-model-database';

export interface RebuildOptions {
  /**
   * Events per transaction, about. Default 500 read stream by stream (SQLite engine), where a batch
   * is rounded up to whole streams (to 4 × this at most); 5,000 in log order, where a contract's
   * rows are written once per batch however many of its events it holds. Memory grows with it.
   */
  batchSize?: number;
  /**
   * Contracts whose folded header stays in memory between batches (LRU). Default 64 when the log
   * is read stream by stream (SQLite engine), else 2,000: with contracts interleaved in the log, a
   * small cache re-reads and re-parses most headers at every batch; a large one costs memory.
   * Memory is bounded by this and the batch size, never by the log.
   */
  cacheSize?: number;
  /**
   * Threads that build at once (SQLite engine only): worker threads that build the contract rows,
   * each into a file of its own, merged at the end; while the calling thread copies the
   * integration log, it counts as one of them. 1: the calling thread builds everything. Default:
   * the cores available, two at most.
   */
  workers?: number;
  /** Events in the log from which the workers are used (starting threads costs more below). Default 200,000. */
  parallelFrom?: number;
  /**
   * Old-generation heap of each worker, in MB. Default 96. A part that needs more (one huge
   * contract) stops its thread, and the rebuild then runs on the calling thread alone.
   */
  workerHeapMb?: number;
  /** Called after each committed batch. */
  onProgress?: (progress: { events: number; position: bigint }) => void;
  /** Stops the build between two batches (each worker thread after its current one): it then rejects with {@link RebuildAbortedError}. */
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

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RebuildAbortedError();
}

export interface RebuildResult {
  /** Events of $all read (contract events applied, others skipped). */
  events: number;
  /** Checkpoint of the rebuilt read models: the last event read, or null for an empty store. */
  position: bigint | null;
  contracts: number;
  /** Threads that built the rows: 1, or in a parallel rebuild the worker threads, and the calling thread when it copied an integration log. */
  threads: number;
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
 * same projections and the same per-batch transaction (events + checkpoint) as live processing,
 * then swaps it in atomically (rename). The live file is never touched while building; the swap
 * refuses, with {@link ReadModelsInUseError}, while another process has the file open.
 */
export async function rebuildReadModels(store: EventStore, file: string, options: RebuildOptions = {}): Promise<RebuildResult> {
  const started = performance.now();
  const target = resolve(file);
  const building = `${target}.rebuild-${process.pid}`;
  removeDatabase(building);
  // Read in stream order (SQLite engine), rows are written in key order; in log order, all over the file.
  const byStream = store instanceof SqliteEventStore ? openByStream(store.path) : null;
  let database: ReadModelDatabase;
  try {
    // Durability comes from the fsync before the swap: while building, a crash just loses the new file.
    database = new ReadModelDatabase(building, { synchronous: 'OFF', mode: 'building', cacheKiB: byStream ? SMALL_CACHE_KIB : undefined });
  } catch (error) {
    byStream?.close();
    throw error;
  }
  let built: Omit<RebuildResult, 'elapsedMs'>;
  try {
    built = await buildInto(store, database, byStream, `${building}.part`, options);
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
 * way a rebuild does (stream by stream, in worker threads) rather than event by event in log order,
 * and returns what it built; null when it does not apply. Rows without a checkpoint (a build the
 * process was killed in) are deleted first. On failure nothing of it stays (the
 * tables are emptied) and the error is thrown: the caller then catches up event by event, which
 * reports a bad event precisely.
 */
export async function buildNewReadModels(store: EventStore, database: ReadModelDatabase, options: RebuildOptions & { from?: number } = {}): Promise<Omit<RebuildResult, 'elapsedMs'> | null> {
  if (!(store instanceof SqliteEventStore)) return null;
  // Every live commit writes the checkpoints with its rows: rows without one are what a build
  // stopped by a crash left behind (its part files too). Start that over.
  if (database.checkpoint('contracts') === null && database.checkpoint('integration-log') === null) {
    if (!database.isEmpty()) database.clear();
    removeStaleParts(database.path);
  }
  if (!database.isEmpty()) return null;
  const byStream = openByStream(store.path);
  if (!byStream) return null;
  if (byStream.total < (options.from ?? 100_000)) {
    byStream.close();
    return null;
  }
  try {
    return await buildInto(store, database, byStream, `${database.path}.build-${process.pid}.part`, options);
  } catch (error) {
    database.clear();
    throw error;
  }
}

/**
 * Builds the read models of `store` from position 0 into `database`, which holds none yet: stream by
 * stream (and the contracts in worker threads, see {@link RebuildOptions.workers}) when `byStream`
 * reads the SQLite engine's file, else in log order through `readAll`. Part files are named
 * `<partPrefix>-<n>`. Ends with every projection's checkpoint at the last position read.
 */
async function buildInto(store: EventStore, database: ReadModelDatabase, byStream: ByStream | null, partPrefix: string, options: RebuildOptions): Promise<Omit<RebuildResult, 'elapsedMs'>> {
  throwIfAborted(options.signal);
  let events = 0;
  let position: bigint | null = null;
  let threads = 1;
  // In log order each batch touches contracts all over: larger batches write each one less often.
  const batchSize = options.batchSize ?? (byStream ? 500 : 5_000);
  // In stream order a contract spans two batches at most: a small cache is enough.
  const projection = new ContractProjection(new ContractTables(database), { cacheSize: options.cacheSize ?? (byStream ? 64 : 2_000) });
  const projections = [projection, new IntegrationLogProjection(database.db)];
  if (byStream) {
    try {
      position = byStream.head;
      let done = 0;
      const progress = (n: number, at: bigint): void => options.onProgress?.({ events: Math.min((done += n), byStream.total), position: at });
      const head = byStream.head;
      if (head !== null) {
        const applyInBatches = async (range: StreamRange): Promise<void> => {
          for await (const batch of byStream.batches(batchSize, range)) {
            throwIfAborted(options.signal);
            commitBatch(database, projections, batch, head);
            progress(batch.length, batch[batch.length - 1].position);
          }
        };
        const threadCount = threadsFor(byStream.total, options);
        let inParallel = threadCount > 1;
        if (inParallel) {
          // Each range of contract streams is built in a worker thread into a file of its own;
          // the files are then merged here, SQLite to SQLite. While this thread copies the
          // integration log, one worker less builds: the threads then never outnumber the cores
          // (three threads on two took as long as two), and the peak memory is that of two.
          const copying = byStream.holds(byStream.integrationRange);
          const parts = byStream.contractRanges(copying ? threadCount - 1 : threadCount);
          const jobs: PartJob[] = parts.map((range, i) => ({ storePath: byStream.path, file: `${partPrefix}-${i}`, range, head, batchSize }));
          const stop = new AbortController();
          const onAbort = (): void => stop.abort();
          options.signal?.addEventListener('abort', onAbort, { once: true });
          try {
            const built = runInWorkers(jobs, options.workerHeapMb ?? WORKER_HEAP_MB, progress, stop.signal);
            built.catch(() => undefined); // awaited below, after the copy
            try {
              // Meanwhile SQLite copies the integration log on this thread.
              await copyIntegrationEvents(database, byStream, head, progress, options.signal);
            } catch (error) {
              stop.abort();
              await built.catch(() => undefined);
              throw error;
            }
            await built;
            throwIfAborted(options.signal);
            mergeParts(database, jobs);
            threads = jobs.length + (copying ? 1 : 0);
          } catch (error) {
            throwIfAborted(options.signal);
            // A contract too large for a thread's bounded heap: build the contracts on this thread instead.
            if ((error as { code?: string }).code !== 'ERR_WORKER_OUT_OF_MEMORY') throw error;
            inParallel = false;
          } finally {
            options.signal?.removeEventListener('abort', onAbort);
            for (const job of jobs) removeDatabase(job.file);
          }
          if (!inParallel) {
            done = Number(database.db.prepare('SELECT count(*) FROM integration_events').pluck().get());
            await applyInBatches(prefixRange(CONTRACT_STREAM_PREFIX));
          }
        } else {
          // Contract by contract: each one's rows are written once, in key order.
          await applyInBatches(prefixRange(CONTRACT_STREAM_PREFIX));
          await copyIntegrationEvents(database, byStream, head, progress, options.signal);
        }
        // The checkpoint is the head even when the log holds no contract event after the last batch.
        database.transaction(() => projections.forEach((p) => database.saveCheckpoint(p.name, head)));
      }
      events = byStream.total;
    } finally {
      byStream.close();
    }
  } else {
    for await (const batch of readInBatches(store, batchSize)) {
      throwIfAborted(options.signal);
      const last = batch[batch.length - 1].position;
      commitBatch(database, projections, batch, last);
      events += batch.length;
      position = last;
      options.onProgress?.({ events, position: last });
    }
  }
  const contracts = (database.db.prepare('SELECT count(*) AS n FROM contracts').get() as { n: number }).n;
  return { events, position, contracts, threads };
}

/**
 * SQLite page cache of each connection of a rebuild, in KiB. The rebuild reads and writes in key
 * order, so a larger cache buys nothing (measured) and costs memory in each thread.
 */
const SMALL_CACHE_KIB = 2_048;

/** A range of stream ids: [from, to). */
type StreamRange = readonly [from: string, to: string];

interface ByStream {
  path: string;
  /** Position of the last event of the log when the rebuild started: the checkpoint it ends at. */
  head: bigint | null;
  /** Events of $all up to `head` (contract events and the others, which the projection skips). */
  total: number;
  /** The integration streams. */
  integrationRange: StreamRange;
  /** The contract streams in at most `parts` ranges of about as many events each (whole streams). */
  contractRanges(parts: number): StreamRange[];
  /** Whether the range holds an event up to `head`. */
  holds(range: StreamRange): boolean;
  /** The events up to `head` of the streams in `range`, stream by stream, each stream in revision order. */
  batches(size: number, range: StreamRange): AsyncGenerator<RecordedEvent[]>;
  close(): void;
}

/** Every stream id starting with `prefix` sorts in [prefix, prefix with its last character + 1). */
function prefixRange(prefix: string): StreamRange {
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)];
}

/**
 * The SQLite engine's file read in STREAM order (its `events_by_stream` index) rather than in log
 * order, on a connection of our own. The contract projection's result does not depend on how the
 * streams interleave (each contract is folded from its own stream), so this gives the same rows,
 * while each contract's events arrive together: its header and contributions are then written
 * once, in key order, instead of once per batch all over the file (a log-order rebuild of 1M
 * events spent most of its time in random B-tree reads and writes). Only events up to `head`
 * (default: the head at start) are read, so a rebuild is a consistent prefix of the log. Null
 * when the file's schema is not the one this knows (the caller then reads `$all`).
 */
function openByStream(path: string, atHead?: bigint): ByStream | null {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('query_only = ON');
    db.pragma(`cache_size = -${SMALL_CACHE_KIB}`);
    db.defaultSafeIntegers(true);
    if (SCHEMA_VERSION !== 1 || Number(db.pragma('user_version', { simple: true })) !== 1) {
      db.close();
      return null;
    }
    const head = atHead ?? (db.prepare('SELECT max(position) FROM events').pluck().get() as bigint | null) ?? null;
    // One statement (one snapshot). A bare count(*) scans the smallest index; `position <= head`
    // would scan the whole table (measured on 1M events: 40 against 220 ms), and the events
    // appended since `head` are few.
    const total =
      head === null || atHead !== undefined
        ? 0
        : Number(db.prepare('SELECT (SELECT count(*) FROM events) - (SELECT count(*) FROM events WHERE position > ?)').pluck().get(head) as bigint);
    const contracts = prefixRange(CONTRACT_STREAM_PREFIX);
    const select = db
      .prepare(
        `SELECT position, stream_id, revision, event_id, type, data, metadata, recorded_at FROM events
         WHERE stream_id >= ? AND stream_id < ? AND position <= ? ORDER BY stream_id, revision`,
      )
      .raw(true);
    return {
      path,
      head,
      total,
      integrationRange: prefixRange(INTEGRATION_STREAM_PREFIX),
      contractRanges(parts: number): StreamRange[] {
        if (parts <= 1 || head === null) return [contracts];
        const range = 'stream_id >= ? AND stream_id < ? AND position <= ?';
        const count = Number(db.prepare(`SELECT count(*) FROM events WHERE ${range}`).pluck().get(...contracts, head) as bigint);
        // The stream of the event at each k/parts of the contract events starts a range (a stream is never split).
        const at = db.prepare(`SELECT stream_id FROM events WHERE ${range} ORDER BY stream_id, revision LIMIT 1 OFFSET ?`).pluck();
        const bounds = [contracts[0]];
        for (let k = 1; k < parts; k++) {
          const id = at.get(...contracts, head, Math.floor((k * count) / parts)) as string | undefined;
          if (id !== undefined && id > bounds[bounds.length - 1]) bounds.push(id);
        }
        bounds.push(contracts[1]);
        return bounds.slice(1).map((to, i) => [bounds[i], to] as const);
      },
      holds: ([from, to]) => head !== null && db.prepare('SELECT 1 FROM events WHERE stream_id >= ? AND stream_id < ? AND position <= ? LIMIT 1').get(from, to, head) !== undefined,
      async *batches(size: number, [from, to]: StreamRange) {
        if (head === null) return;
        const rows = select.iterate(from, to, head) as IterableIterator<StoredRow>;
        try {
          // A batch ends at a stream's end (the projection then folds each stream in one go),
          // unless one stream alone passes 4 × size: memory stays bounded by the batch size.
          let next: StoredEvent | undefined;
          for (let done = false; !done; ) {
            const batch: RecordedEvent[] = next ? [next] : [];
            next = undefined;
            for (;;) {
              const r = rows.next();
              if (r.done) {
                done = true;
                break;
              }
              const event = toStoredEvent(r.value);
              if (batch.length >= size && (event.streamId !== batch[batch.length - 1].streamId || batch.length >= 4 * size)) {
                next = event;
                break;
              }
              batch.push(event);
            }
            if (batch.length > 0) yield batch;
            if (!done) await yieldToEventLoop();
          }
        } finally {
          rows.return?.();
        }
      },
      close: () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Old-generation heap of each worker thread, in MB (measured: 1M events need less than half of it). */
const WORKER_HEAP_MB = 96;
/**
 * Young generation of each worker thread, in MB. Measured on 1M events, three paired runs: 8 takes
 * the time and CPU of 16 (8.9–9.3 s) with 15–20 MB less peak RSS; 4 takes 15 % more CPU.
 */
const WORKER_YOUNG_MB = 8;

/** Threads that build at once: one per core (two at most), for a log large enough to pay for the threads. */
function threadsFor(events: number, options: RebuildOptions): number {
  const workers = options.workers ?? Math.min(2, availableParallelism());
  return workers > 1 && events >= (options.parallelFrom ?? 200_000) ? workers : 1;
}

/** A part of a parallel rebuild: the contract rows of a range of contract streams, into a file of its own. */
interface PartJob {
  storePath: string;
  file: string;
  range: StreamRange;
  head: bigint;
  batchSize: number;
}

/** A part as its thread receives it: with the flag (an Int32Array's buffer) that, set to 1, stops it after its batch. */
interface PartThreadData extends PartJob {
  stop: SharedArrayBuffer;
}

type PartMessage = { progress: number; position: bigint } | { done: true } | { failed: { name: string; message: string } };

async function buildPart(job: PartThreadData, onBatch: (events: number, position: bigint) => void): Promise<void> {
  const reader = openByStream(job.storePath, job.head);
  if (!reader) throw new Error(`${job.storePath}: not an event store file of schema version ${SCHEMA_VERSION}`);
  try {
    const database = new ReadModelDatabase(job.file, { synchronous: 'OFF', mode: 'building', cacheKiB: SMALL_CACHE_KIB });
    try {
      const projection = new ContractProjection(new ContractTables(database), { cacheSize: 64 });
      const stop = new Int32Array(job.stop);
      for await (const batch of reader.batches(job.batchSize, job.range)) {
        if (Atomics.load(stop, 0) === 1) throw new RebuildAbortedError();
        commitBatch(database, [projection], batch, job.head);
        onBatch(batch.length, batch[batch.length - 1].position);
      }
    } finally {
      database.close();
    }
  } finally {
    reader.close();
  }
}

/**
 * Runs each job in a worker thread on this module (see the end of the file). From TypeScript
 * sources (the tests), the threads compile them with @swc-node/register, as `npm run` scripts do;
 * `npm run rebuild` runs the built JavaScript. The first failure stops every thread.
 */
async function runInWorkers(jobs: readonly PartJob[], heapMb: number, onBatch: (events: number, position: bigint) => void, signal: AbortSignal): Promise<void> {
  const fromSource = __filename.endsWith('.ts');
  // Built, this module is in a bundle: the rebuild's own (dist/apps/api/rebuild.js) is the one to
  // load, also from the service's (main.js), which would start a whole service in each thread.
  const script = fromSource ? __filename : join(__dirname, 'rebuild.js');
  const workers: Worker[] = [];
  const exited: Promise<void>[] = [];
  const stop = new SharedArrayBuffer(4);
  const results = jobs.map((job) => {
    const worker = new Worker(script, {
      workerData: { [PART_JOB]: { ...job, stop } satisfies PartThreadData },
      // Not the process's V8 options (--max-semi-space-size...): a worker refuses them. Profiling passes on.
      execArgv: fromSource ? ['-r', '@swc-node/register'] : process.execArgv.filter((a) => /^--(cpu-prof|heap-prof|enable-source-maps)/.test(a)),
      env: fromSource ? { ...process.env, SWC_NODE_PROJECT: process.env['SWC_NODE_PROJECT'] ?? workspaceTsconfig() } : process.env,
      // A part is streamed in small batches: a bounded heap keeps the thread's memory small (V8
      // collects sooner instead of growing); a thread that needs more fails with ERR_WORKER_OUT_OF_MEMORY.
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: heapMb },
    });
    workers.push(worker);
    exited.push(new Promise<void>((resolveExit) => worker.once('exit', () => resolveExit())));
    return new Promise<void>((resolvePart, rejectPart) => {
      worker.on('message', (m: PartMessage) => {
        if ('progress' in m) onBatch(m.progress, m.position);
        else if ('done' in m) resolvePart();
        else rejectPart(Object.assign(new Error(m.failed.message), { name: m.failed.name }));
      });
      worker.on('error', rejectPart);
      worker.on('exit', (code) => rejectPart(new Error(`a rebuild worker stopped (exit code ${code}) before it finished`)));
    });
  });
  const stopped = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('rebuild stopped')), { once: true }));
  stopped.catch(() => undefined);
  try {
    await Promise.race([Promise.all(results), stopped]);
  } finally {
    // After success each has ended its work already. After a failure or a stop the others are
    // asked to stop after their batch, and terminated only when they do not end in time:
    // terminating a thread inside a better-sqlite3 call can abort the whole process.
    Atomics.store(new Int32Array(stop), 0, 1);
    const late = setTimeout(() => workers.forEach((w) => void w.terminate()), WORKER_STOP_MS);
    await Promise.all(exited);
    clearTimeout(late);
    await Promise.allSettled(results);
  }
}

/** How long the rebuild's threads get to end by themselves once asked to stop (ms). */
const WORKER_STOP_MS = 5_000;

/** tsconfig.base.json of the workspace this source file is in. */
function workspaceTsconfig(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'tsconfig.base.json');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`no tsconfig.base.json above ${__dirname}`);
}

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
  byStream: ByStream,
  head: bigint,
  onBatch: (events: number, position: bigint) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const [from, to] = byStream.integrationRange;
  if (!byStream.holds(byStream.integrationRange)) return;
  const db = database.db;
  db.function('sroi_municipality_key', { deterministic: true }, (m: unknown) => (typeof m === 'string' ? municipalityKey(m) : null));
  db.prepare('ATTACH DATABASE ? AS store').run(byStream.path);
  try {
    // `+stream_id`: no index on it, so the rows are read in rowid (log) order.
    const inRange = '+stream_id >= @from AND +stream_id < @to AND position > @after AND position <= @head';
    // CASE: the JSON functions raise an error on malformed JSON, so they run only on valid JSON;
    // IS: a missing field is NULL, which must make the check false, not NULL.
    const valid = `CASE WHEN type IN (${PUBLIC_EVENT_TYPES.map((t) => `'${t}'`).join(', ')}) AND json_valid(data) THEN
        json_type(data) IS 'object' AND json_type(data, '$.id') IS 'text' AND json_type(data, '$.type') IS 'text'
        AND json_extract(data, '$.type') IS type AND json_type(data, '$.municipality') IS 'text' AND json_type(data, '$.contractId') IS 'text'
      ELSE 0 END`;
    const copy = db.prepare(
      `INSERT INTO integration_events (position, event_id, type, municipality_key, municipality, contract_id, json)
       SELECT position, json_extract(data, '$.id'), type, sroi_municipality_key(json_extract(data, '$.municipality')),
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
        const row = db.prepare('SELECT position, stream_id, revision, event_id, type, data, metadata, recorded_at FROM store.events WHERE position = ?').raw(true).safeIntegers(true).get(bad) as StoredRow;
        let event: RecordedEvent;
        try {
          event = toStoredEvent(row);
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

/** Copies the contract rows of each part's file into the database (SQLite to SQLite: no JSON is parsed). */
function mergeParts(database: ReadModelDatabase, jobs: readonly PartJob[]): void {
  for (const job of jobs) {
    database.db.prepare('ATTACH DATABASE ? AS part').run(job.file);
    try {
      database.transaction(() => {
        database.db.exec(`INSERT OR IGNORE INTO catalogues SELECT * FROM part.catalogues;
          INSERT INTO contracts SELECT * FROM part.contracts;
          INSERT INTO contract_headers SELECT * FROM part.contract_headers;
          INSERT INTO contributions SELECT * FROM part.contributions;`);
      });
    } finally {
      database.db.exec('DETACH DATABASE part');
    }
  }
}

/**
 * An event as read by the rebuild. `metadata` is parsed on first use: the contract projection reads
 * it (for the schema version), the integration log does not. `dataJson` is the stored text of
 * `data`: the integration log stores it as it is instead of serialising it again.
 */
class StoredEvent implements RecordedEvent {
  readonly data: JsonValue;
  private parsedMetadata: JsonObject | undefined;
  constructor(
    readonly streamId: string,
    readonly revision: bigint,
    readonly position: bigint,
    readonly id: string,
    readonly type: string,
    readonly dataJson: string,
    private readonly metadataJson: string,
    readonly recordedAt: string,
  ) {
    this.data = JSON.parse(dataJson) as JsonValue;
  }
  get metadata(): JsonObject {
    return (this.parsedMetadata ??= JSON.parse(this.metadataJson) as JsonObject);
  }
}

/** A row of the store's events table: position, stream_id, revision, event_id, type, data, metadata, recorded_at. */
type StoredRow = [bigint, string, bigint, string, string, string, string, string];

function toStoredEvent(r: StoredRow): StoredEvent {
  return new StoredEvent(r[1], r[2], r[0], r[3], r[4], r[5], r[6], r[7]);
}

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
        batch[i] = toStoredEvent(r);
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

/** Part files of builds into `file` that ended without cleaning up (the process was killed). */
function removeStaleParts(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.build-`;
  for (const name of readdirSync(dir)) if (name.startsWith(prefix) && name.includes('.part-')) rmSync(join(dir, name), { force: true });
}

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

/** How often a rebuild thread reports its progress (ms). */
const PROGRESS_MS = 100;

/** The worker thread's side: this module, loaded with a {@link PartJob} as its workerData (last: it uses the whole module). */
const PART_JOB = 'sroiRebuildPart';
if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[PART_JOB]) {
  const port = parentPort;
  const post = (message: PartMessage): void => port.postMessage(message);
  // Progress goes out after the first batch, then every PROGRESS_MS, not after each batch: a
  // message per batch cost ~2 % of the thread.
  let unreported = 0;
  let reportedAt = Number.NEGATIVE_INFINITY;
  const report = (position: bigint): void => {
    post({ progress: unreported, position });
    unreported = 0;
    reportedAt = performance.now();
  };
  let last: bigint | undefined;
  buildPart((workerData as Record<string, PartThreadData>)[PART_JOB], (events, position) => {
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
