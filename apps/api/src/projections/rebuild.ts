import Database from 'better-sqlite3';
import type { EventStore, RecordedEvent } from '@sroi/event-store';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ContractProjection } from './contract-projection';
import { ContractTables } from './contract-tables';
import { commitBatch } from './projection-runner';
import { ReadModelDatabase } from './read-model-database';

export interface RebuildOptions {
  /** Events per transaction. Default 5,000 (a rebuild has no reader waiting on it). */
  batchSize?: number;
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
  const batchSize = options.batchSize ?? 5_000;
  // Durability comes from the fsync before the swap: while building, a crash just loses the new file.
  const database = new ReadModelDatabase(building, { synchronous: 'OFF', mode: 'building' });
  let events = 0;
  let position: bigint | null = null;
  let contracts = 0;
  try {
    const projection = new ContractProjection(new ContractTables(database), { cacheSize: 2_000 });
    let batch: RecordedEvent[] = [];
    const commit = () => {
      if (batch.length === 0) return;
      const last = batch[batch.length - 1].position;
      commitBatch(database, [projection], batch, last);
      events += batch.length;
      position = last;
      batch = [];
      options.onProgress?.({ events, position: last });
    };
    for await (const event of store.readAll({ after: 'start' })) {
      batch.push(event);
      if (batch.length >= batchSize) commit();
    }
    commit();
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
