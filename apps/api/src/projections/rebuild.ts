import Database from 'better-sqlite3';
import { SCHEMA_VERSION, SqliteEventStore, type EventStore, type JsonObject, type RecordedEvent } from '@sroi/event-store';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { INTEGRATION_STREAM_PREFIX } from '../integration/integration-streams';
import { IntegrationLogProjection } from '../integration/integration-log-projection';
import { CONTRACT_STREAM_PREFIX } from './contract-events';
import { ContractProjection } from './contract-projection';
import { ContractTables } from './contract-tables';
import { commitBatch } from './projection-runner';
import { ReadModelDatabase } from './read-model-database';

export interface RebuildOptions {
  /**
   * Events per transaction. Default 10,000 (a rebuild has no reader waiting on it): a contract's
   * rows are written once per batch however many of its events the batch holds; memory grows with it.
   */
  batchSize?: number;
  /**
   * Contracts whose folded header stays in memory between batches (LRU). Default 64 when the log
   * is read stream by stream (SQLite engine), else 2,000: with contracts interleaved in the log, a
   * small cache re-reads and re-parses most headers at every batch; a large one costs memory.
   * Memory is bounded by this and the batch size, never by the log.
   */
  cacheSize?: number;
  /** Called after each committed batch. */
  onProgress?: (progress: { events: number; position: bigint }) => void;
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
 * same projections and the same per-batch transaction (events + checkpoint) as live processing,
 * then swaps it in atomically (rename). The live file is never touched while building; the swap
 * refuses, with {@link ReadModelsInUseError}, while another process has the file open.
 */
export async function rebuildReadModels(store: EventStore, file: string, options: RebuildOptions = {}): Promise<RebuildResult> {
  const started = performance.now();
  const target = resolve(file);
  const building = `${target}.rebuild-${process.pid}`;
  removeDatabase(building);
  const batchSize = options.batchSize ?? 10_000;
  // Durability comes from the fsync before the swap: while building, a crash just loses the new file.
  const database = new ReadModelDatabase(building, { synchronous: 'OFF', mode: 'building' });
  let events = 0;
  let position: bigint | null = null;
  let contracts = 0;
  try {
    const byStream = store instanceof SqliteEventStore ? openByStream(store.path) : null;
    // In stream order a contract spans two batches at most: a small cache is enough.
    const projection = new ContractProjection(new ContractTables(database), { cacheSize: options.cacheSize ?? (byStream ? 64 : 2_000) });
    const projections = [projection, new IntegrationLogProjection(database.db)];
    if (byStream) {
      // Contract by contract: each one's rows are written about once, in key order.
      try {
        position = byStream.head;
        for await (const batch of byStream.batches(batchSize)) {
          commitBatch(database, projections, batch, byStream.head as bigint);
          options.onProgress?.({ events: Math.min((events += batch.length), byStream.total), position: batch[batch.length - 1].position });
        }
        events = byStream.total;
        // The checkpoint is the head even when the log holds no contract event after the last batch.
        const head = byStream.head;
        if (head !== null) database.transaction(() => projections.forEach((p) => database.saveCheckpoint(p.name, head)));
      } finally {
        byStream.close();
      }
    } else {
      for await (const batch of readInBatches(store, batchSize)) {
        const last = batch[batch.length - 1].position;
        commitBatch(database, projections, batch, last);
        events += batch.length;
        position = last;
        options.onProgress?.({ events, position: last });
      }
    }
    contracts = (database.db.prepare('SELECT count(*) AS n FROM contracts').get() as { n: number }).n;
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
  return { events, position, contracts, elapsedMs: performance.now() - started };
}

interface ByStream {
  /** Position of the last event of the log when the rebuild started: the checkpoint it ends at. */
  head: bigint | null;
  /** Events of $all up to `head` (contract events and the others, which the projection skips). */
  total: number;
  /** The contract events up to `head`, then the integration events, stream by stream, each stream in revision order. */
  batches(size: number): AsyncGenerator<RecordedEvent[]>;
  close(): void;
}

/**
 * The SQLite engine's file read in STREAM order (its `events_by_stream` index) rather than in log
 * order, on a connection of our own. The contract projection's result does not depend on how the
 * streams interleave (each contract is folded from its own stream), so this gives the same rows,
 * while each contract's events arrive together: its header and contributions are then written
 * about once, in key order, instead of once per batch all over the file (a log-order rebuild of
 * 1M events spent most of its time in random B-tree reads and writes). Only events up to the head
 * at start are read, so a rebuild is a consistent prefix of the log. Null when the file's schema
 * is not the one this knows (the caller then reads `$all`).
 */
function openByStream(path: string): ByStream | null {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('query_only = ON');
    db.pragma('cache_size = -8192');
    db.defaultSafeIntegers(true);
    if (SCHEMA_VERSION !== 1 || Number(db.pragma('user_version', { simple: true })) !== 1) {
      db.close();
      return null;
    }
    const head = (db.prepare('SELECT max(position) FROM events').pluck().get() as bigint | null) ?? null;
    const total = head === null ? 0 : Number(db.prepare('SELECT count(*) FROM events WHERE position <= ?').pluck().get(head) as bigint);
    // Every stream id starting with a prefix sorts in [prefix, prefix with its last character + 1).
    const ranges = [CONTRACT_STREAM_PREFIX, INTEGRATION_STREAM_PREFIX].map((low) => [low, low.slice(0, -1) + String.fromCharCode(low.charCodeAt(low.length - 1) + 1)]);
    const select = db
      .prepare(
        `SELECT position, stream_id, revision, event_id, type, data, metadata, recorded_at FROM events
         WHERE stream_id >= ? AND stream_id < ? AND position <= ? ORDER BY stream_id, revision`,
      )
      .raw(true);
    return {
      head,
      total,
      async *batches(size: number) {
        if (head === null) return;
        for (const [low, high] of ranges) {
          const rows = select.iterate(low, high, head) as IterableIterator<[bigint, string, bigint, string, string, string, string, string]>;
          try {
            for (;;) {
              const batch: RecordedEvent[] = [];
              while (batch.length < size) {
                const r = rows.next();
                if (r.done) break;
                const [position, streamId, revision, id, type, data, metadata, recordedAt] = r.value;
                const event: RecordedEvent & { dataJson?: string } = { streamId, revision, position, id, type, data: JSON.parse(data), metadata: JSON.parse(metadata) as JsonObject, recordedAt };
                // The integration log stores the envelope's JSON text as it is: no need to serialise it again.
                if (low === INTEGRATION_STREAM_PREFIX) event.dataJson = data;
                batch.push(event);
              }
              if (batch.length > 0) yield batch;
              if (batch.length < size) break;
              await yieldToEventLoop();
            }
          } finally {
            rows.return?.();
          }
        }
      },
      close: () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
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
        batch[i] = { streamId: r[1], revision: r[2], position: r[0], id: r[3], type: r[4], data: JSON.parse(r[5]), metadata: JSON.parse(r[6]) as JsonObject, recordedAt: r[7] };
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

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}
