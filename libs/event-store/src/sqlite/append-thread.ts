import { Worker } from 'node:worker_threads';
import { finishingCheckpointChannel, type FinishingCheckpointDiagnostics } from './diagnostics';
import { createGroupCommit, type AppendOutcome, type PreparedAppend } from './group-commit';

/** From the main thread to the append thread. */
type Request = { kind: 'commit'; batch: PreparedAppend[] } | { kind: 'auto-checkpoint'; pages: number } | { kind: 'finish-checkpoint' } | { kind: 'close' };

/** From the append thread: the outcome of each append of the batch, or why the batch did not commit. */
export type CommitReply = { outcomes: AppendOutcome[] } | { failure: { message: string; code: string | undefined; busy: boolean } };

/** From the append thread, answering no request: its finishing checkpoint failed (the appends stand). */
type CheckpointFailure = { checkpointFailure: string };

/** From the append thread, answering no request: how long its finishing checkpoint took (ms), and whether it copied the whole WAL. */
type CheckpointFinished = { checkpointFinished: { durationMs: number; complete: boolean } };

export interface AppendThreadOptions {
  path: string;
  synchronous: string;
  busyTimeoutMs: number;
  /** How long a batch keeps retrying a database locked by another process before it fails (ms). */
  lockWaitMs: number;
  /** `wal_autocheckpoint` of the thread's connection: 0 while a {@link WalCheckpointer} checkpoints instead. Default 1000 (SQLite's). */
  autoCheckpointPages?: number;
}

/**
 * The append thread's code (evaluated there, so that it runs the same from the library's sources
 * and from the service's bundle). It owns a second connection to the file and commits each batch
 * it is sent with {@link createGroupCommit}: the commit's page writes and its fsync no longer hold
 * up the event loop. A locked database is waited for here, blocking only this thread.
 */
function appendThreadMain(groupCommitFor: typeof createGroupCommit, load: (id: string) => unknown): void {
  // `load` is the thread's require: a literal require() here would be rewritten by the bundler.
  const { parentPort, workerData } = load('node:worker_threads') as typeof import('node:worker_threads');
  const { createRequire } = load('node:module') as typeof import('node:module');
  const options = workerData.options as AppendThreadOptions;
  const closed = new Int32Array(workerData.closed as SharedArrayBuffer);
  const Database = createRequire(workerData.from as string)('better-sqlite3') as typeof import('better-sqlite3');
  const port = parentPort as NonNullable<typeof parentPort>;
  const db = new Database(options.path);
  db.defaultSafeIntegers(true);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
  db.pragma(`synchronous = ${options.synchronous}`);
  // Each append of a group commit runs in a savepoint, whose undo pages SQLite writes to a
  // temporary file once they pass 64 KiB: a batch of a few dozen appends does (after a stall, when
  // the queue is long), and then each page costs two write() calls on this thread. In memory they
  // cost none; they are bounded by the batch and dropped at its commit.
  db.pragma('temp_store = MEMORY');
  db.pragma(`wal_autocheckpoint = ${options.autoCheckpointPages ?? 1000}`);
  const commit = groupCommitFor(db);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const isBusy = (error: unknown): boolean => {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
  };
  port.on('message', (request: Request) => {
    if (request.kind === 'close') {
      db.close();
      Atomics.store(closed, 0, 1);
      Atomics.notify(closed, 0);
      port.close();
      return;
    }
    if (request.kind === 'auto-checkpoint') {
      db.pragma(`wal_autocheckpoint = ${request.pages}`);
      return;
    }
    if (request.kind === 'finish-checkpoint') {
      // Between two commits of this, the only writing connection: nothing is committed meanwhile,
      // so once it is done the next commit starts the WAL over.
      const started = performance.now();
      try {
        const rows = db.pragma('wal_checkpoint(PASSIVE)') as { busy: bigint | number }[];
        // One message a second or so: the main thread publishes it for diagnostics (or drops it).
        // (diagnostics.ts's checkpointComplete, inline: this function runs from its source text, without imports.)
        port.postMessage({ checkpointFinished: { durationMs: performance.now() - started, complete: Number(rows[0]?.busy) === 0 } } satisfies CheckpointFinished);
      } catch (error) {
        // Busy (another process): a later finish does it. Anything else is told; the commits stand either way.
        if (!isBusy(error)) port.postMessage({ checkpointFailure: String((error as { message?: unknown } | null)?.message ?? error) } satisfies CheckpointFailure);
      }
      return;
    }
    const deadline = Date.now() + options.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        port.postMessage({ outcomes: commit(request.batch) } satisfies CommitReply);
        return;
      } catch (error) {
        const busy = isBusy(error);
        if (busy && Date.now() < deadline) {
          Atomics.wait(pause, 0, 0, Math.min(5 * 2 ** Math.min(attempt, 6), 200) * (0.5 + Math.random()));
          continue;
        }
        const e = error as { message?: unknown; code?: unknown };
        port.postMessage({ failure: { message: String(e?.message ?? error), code: typeof e?.code === 'string' ? e.code : undefined, busy } } satisfies CommitReply);
        return;
      }
    }
  });
}

const THREAD_CODE = `'use strict';\nconst createGroupCommit = ${createGroupCommit.toString()};\n(${appendThreadMain.toString()})(createGroupCommit, require);\n`;

/**
 * The main thread's side of the append thread. Batches are committed in the order they are sent,
 * and answered in that order. While a batch is out, the thread keeps the process alive; idle, it
 * does not.
 */
export class AppendThread {
  private readonly worker: Worker;
  /** The batches out, oldest first. */
  private readonly pending: { resolve: (reply: CommitReply) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;
  private closing = false;
  /** Set to 1 by the thread once its connection is closed (close() waits for it). */
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));

  constructor(options: AppendThreadOptions) {
    this.worker = new Worker(THREAD_CODE, { eval: true, workerData: { from: __filename, options, closed: this.closed.buffer } });
    this.worker.unref();
    this.worker.on('message', (reply: CommitReply | CheckpointFailure | CheckpointFinished) => {
      if ('checkpointFinished' in reply) {
        if (finishingCheckpointChannel.hasSubscribers) {
          finishingCheckpointChannel.publish({ file: options.path, on: 'append-thread', ...reply.checkpointFinished } satisfies FinishingCheckpointDiagnostics);
        }
        return;
      }
      if ('checkpointFailure' in reply) {
        process.emitWarning(`the append thread's finishing WAL checkpoint failed: ${reply.checkpointFailure}`);
        return;
      }
      this.pending.shift()?.resolve(reply);
      if (this.pending.length === 0) this.worker.unref();
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`exited with code ${code}`));
    });
  }

  /** Why the thread stopped, if it did: the owner then commits on its own connection. */
  get failed(): Error | undefined {
    return this.failure;
  }

  commit(batch: PreparedAppend[]): Promise<CommitReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<CommitReply>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ kind: 'commit', batch } satisfies Request);
    });
  }

  /** Sets `wal_autocheckpoint` of the thread's connection (its commits checkpoint again when the background checkpointer has failed). */
  setAutoCheckpoint(pages: number): void {
    if (!this.failure && !this.closing) this.worker.postMessage({ kind: 'auto-checkpoint', pages } satisfies Request);
  }

  /**
   * Runs the writer's finishing WAL checkpoint (see WalCheckpointer.committed()) on the thread,
   * after the batches already sent: its copy and the sync of the database file held up the event
   * loop for 90–245 ms at a time when it ran on the main connection (the service under 1,000 hires
   * a second), and a commit of the thread could slip in between and leave the WAL unfinished.
   */
  finishCheckpoint(): void {
    if (!this.failure && !this.closing) this.worker.postMessage({ kind: 'finish-checkpoint' } satisfies Request);
  }

  /** Closes the thread's connection, waiting for it (blocking, at most `timeoutMs`); call with no batch out. */
  close(timeoutMs = 10_000): void {
    if (this.closing) return;
    this.closing = true;
    if (!this.failure) {
      this.worker.postMessage({ kind: 'close' } satisfies Request);
      // Not terminated while still in a better-sqlite3 call (that can abort the whole process):
      // it closes and ends by itself after it, unref'd meanwhile.
      if (Atomics.wait(this.closed, 0, 0, timeoutMs) === 'timed-out') {
        this.worker.unref();
        return;
      }
    }
    void this.worker.terminate();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.worker.unref();
    for (const p of this.pending.splice(0)) p.reject(error);
  }
}
