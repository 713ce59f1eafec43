import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OperatorError, reasonOf } from '../config/operator-error';

/** The file whose lock says that a service runs on the folder. */
export const DATA_DIR_LOCK_FILE = 'service.lock';

/** Another process holds the folder's lock. */
export class DataDirInUseError extends OperatorError {
  constructor(readonly dataDir: string) {
    super(`another sroi-ledger service is using ${dataDir} (it holds ${join(dataDir, DATA_DIR_LOCK_FILE)}); stop it, or give this one another SROI_DATA_DIR`);
    this.name = 'DataDirInUseError';
  }
}

/**
 * The folder locks this process holds, referenced here until released: a connection nobody
 * references any more is closed when it is garbage-collected, and its lock goes with it (the lock
 * test's holder process, which dropped the handle, lost its lock that way now and then).
 */
const held = new Set<Database.Database>();

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the data folder for this process: two services on one folder would both run the
 * projections into the same read-model file. The lock is SQLite's exclusive lock on a file of its
 * own, an OS file lock: it ends with the process however the process ends, so a crash leaves
 * nothing stale behind. Throws {@link DataDirInUseError} when another process holds it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  let db: Database.Database;
  try {
    mkdirSync(dataDir, { recursive: true });
    db = new Database(join(dataDir, DATA_DIR_LOCK_FILE), { timeout: 0 });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'it is a file, not a folder' : `it cannot be written (${reasonOf(error)})`;
    throw new OperatorError(`SROI_DATA_DIR ${dataDir} cannot hold the service's data: ${why}`, { cause: error });
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = MEMORY'); // nothing is ever written: no journal file beside it
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirInUseError(dataDir);
    throw error;
  }
  held.add(db);
  return {
    release: () => {
      held.delete(db);
      db.close();
    },
  };
}
