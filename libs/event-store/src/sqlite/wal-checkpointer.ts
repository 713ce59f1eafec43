import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

/**
 * The worker's code, evaluated: it opens its own connection to the file and answers each
 * 'checkpoint' message with the result of `PRAGMA wal_checkpoint(PASSIVE)`. better-sqlite3 is
 * resolved from the module that started it (the library's file, or the service's bundle).
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const Database = createRequire(workerData.from)('better-sqlite3');
const closed = new Int32Array(workerData.closed);
const db = new Database(workerData.path);
db.pragma('synchronous = ' + workerData.synchronous);
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
    parentPort.close();
    return;
  }
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ busy: row.busy, log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
  }
});
`;

/** New frames at most between two background checkpoints for the writer to finish the job. */
const FINISH_FRAMES = 256;

export interface WalCheckpointerOptions {
  /** Ask for a checkpoint after this many commits. Default 50. */
  everyCommits?: number;
  /** And at least this often while commits happen (ms). Default 500. */
  intervalMs?: number;
  /**
   * Past this many frames in the WAL, background checkpoints follow each other until the WAL
   * grows little in between, and then the writer is asked to finish the job itself after its next
   * commit (see `committed()`). Default 4,096 (16 MB).
   */
  restartFrames?: number;
  /** The synchronous mode of the checkpointing connection (its fsyncs). Default FULL. */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  /**
   * After this long without a commit (ms), a background checkpoint: with nothing committed
   * meanwhile it copies the whole WAL, and the next commit starts the WAL over without any
   * finishing checkpoint of the writer's. Default: none (only `everyCommits` and `intervalMs`).
   */
  quietMs?: number;
}

export interface WalCheckpointerStats {
  checkpoints: number;
  /** frames in the WAL, and of those checkpointed, at the last checkpoint */
  lastLogFrames: number;
  lastCheckpointedFrames: number;
}

/**
 * Copies a WAL database's committed pages back into the database file (a checkpoint) on a worker
 * thread with its own connection, instead of inside whichever commit crosses SQLite's
 * auto-checkpoint threshold. better-sqlite3 runs a commit on the event loop, and the checkpoint in
 * it writes pages all over the file and syncs it: measured on a 2 GB event log, a commit of ten
 * appends took 3.8 ms with auto-checkpoints and 0.9 ms without. PASSIVE checkpoints wait for
 * nobody, so neither writers nor readers are held up.
 *
 * The connection that commits must run with `wal_autocheckpoint = 0` while this runs;
 * `onFailure` is told when the worker cannot go on, so that it can turn auto-checkpoints on again.
 */
export class WalCheckpointer {
  private readonly everyCommits: number;
  private readonly intervalMs: number;
  private readonly restartFrames: number;
  private finishDue = false;
  /** WAL frames found by the last background checkpoint, while the WAL is past `restartFrames` */
  private previousLogFrames: number | undefined;
  private worker: Worker | undefined;
  private timer: NodeJS.Timeout | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private lastCommitAt = 0;
  private inFlight = false;
  private commitsSince = 0;
  private closing = false;
  private failed = false;
  private started = false;
  /** Set to 1 by the worker once its connection is closed (close() waits for it). */
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private readonly counts: WalCheckpointerStats = { checkpoints: 0, lastLogFrames: 0, lastCheckpointedFrames: 0 };

  constructor(
    private readonly path: string,
    private readonly onFailure: (error: Error) => void,
    private readonly options: WalCheckpointerOptions = {},
  ) {
    this.everyCommits = options.everyCommits ?? 50;
    this.intervalMs = options.intervalMs ?? 500;
    this.restartFrames = options.restartFrames ?? 4096;
  }

  /**
   * A checkpointer for the WAL file of `db` (at `path`): turns the connection's auto-checkpoints
   * off, and back on (every `fallbackPages`) if the worker fails, with a warning naming `what`.
   */
  static forConnection(db: Database.Database, path: string, options: WalCheckpointerOptions & { what: string; fallbackPages: number }): WalCheckpointer {
    db.pragma('wal_autocheckpoint = 0');
    return new WalCheckpointer(
      path,
      (error) => {
        // Without the worker the WAL would grow without end: the commits checkpoint again.
        if (db.open) db.pragma(`wal_autocheckpoint = ${options.fallbackPages}`);
        process.emitWarning(`${error.message}; ${options.what} checkpoints in its commits again`);
      },
      options,
    );
  }

  /** Starts the worker; the first commit does it otherwise (a store that only reads never starts one). */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    const worker = new Worker(WORKER_CODE, { eval: true, workerData: { from: __filename, path: this.path, synchronous: this.options.synchronous ?? 'FULL', closed: this.closed.buffer } });
    this.worker = worker;
    // Neither keeps the process alive: close() ends them, and an exiting process needs no checkpoint.
    worker.unref();
    worker.on('message', (m: { error?: string; busy?: number; log?: number; checkpointed?: number }) => {
      this.inFlight = false;
      if (m.error !== undefined) return this.fail(new Error(`background checkpoint failed: ${m.error}`));
      this.counts.checkpoints++;
      this.counts.lastLogFrames = m.log ?? 0;
      this.counts.lastCheckpointedFrames = m.checkpointed ?? 0;
      this.afterCheckpoint(this.counts.lastLogFrames);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`the checkpoint worker exited with code ${code}`));
    });
    this.timer = setInterval(() => {
      if (this.commitsSince > 0) this.request();
    }, this.intervalMs);
    this.timer.unref();
  }

  /**
   * Call after each commit of the writing connection. True when the writer should now run
   * `PRAGMA wal_checkpoint(PASSIVE)` itself, before its next write: SQLite starts the WAL over
   * only once every frame in it is checkpointed, which a checkpoint on another thread never
   * achieves while commits go on; most pages are copied already, so this one is short.
   */
  committed(): boolean {
    if (!this.started) this.start();
    if (++this.commitsSince >= this.everyCommits) this.request();
    if (this.options.quietMs !== undefined) {
      this.lastCommitAt = performance.now();
      this.quietTimer ??= this.whenQuiet(this.options.quietMs);
    }
    if (!this.finishDue) return false;
    this.finishDue = false;
    return true;
  }

  stats(): WalCheckpointerStats {
    return { ...this.counts };
  }

  /**
   * Ends the worker, waiting (blocking, at most `timeoutMs`) until its connection is closed: the
   * owner may then close its own as the last one (SQLite checkpoints the rest and removes the WAL)
   * or remove the files. A checkpoint under way is finished first.
   */
  close(timeoutMs = 10_000): void {
    this.closing = true;
    clearInterval(this.timer);
    clearTimeout(this.quietTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (!worker || this.failed) return;
    worker.postMessage('close');
    // Terminated only once its connection is closed: terminating a thread inside a better-sqlite3
    // call can abort the whole process. Still busy (a long checkpoint), it closes and ends by
    // itself after that call, and being unref'd it keeps no process alive meanwhile.
    if (Atomics.wait(this.closed, 0, 0, timeoutMs) !== 'timed-out') void worker.terminate();
  }

  /**
   * Past `restartFrames`, the writer is asked to finish once the WAL has stopped growing much
   * between two background checkpoints (its part is then short); until then another background
   * checkpoint follows at once. Past four times `restartFrames` it is asked regardless.
   */
  private afterCheckpoint(logFrames: number): void {
    if (logFrames < this.restartFrames) {
      this.previousLogFrames = undefined;
      return;
    }
    const grown = this.previousLogFrames === undefined ? Number.POSITIVE_INFINITY : logFrames - this.previousLogFrames;
    if (grown <= FINISH_FRAMES || logFrames >= 4 * this.restartFrames) {
      this.previousLogFrames = undefined;
      this.finishDue = true;
      return;
    }
    this.previousLogFrames = logFrames;
    this.request();
  }

  /**
   * In `delayMs`, a checkpoint if no commit has come for `quietMs` by then, else a look again when
   * it may have; and again later while a checkpoint is under way (it may have met commits).
   */
  private whenQuiet(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.quietTimer = undefined;
      const quietMs = this.options.quietMs;
      if (this.closing || this.failed || quietMs === undefined) return;
      const quietFor = performance.now() - this.lastCommitAt;
      if (quietFor < quietMs || this.inFlight) {
        this.quietTimer = this.whenQuiet(this.inFlight ? quietMs : Math.max(quietMs - quietFor, 1));
        return;
      }
      if (this.commitsSince > 0) this.request();
    }, delayMs);
    timer.unref();
    return timer;
  }

  private request(): void {
    if (this.inFlight || !this.worker || this.failed) return;
    this.inFlight = true;
    this.commitsSince = 0;
    this.worker.postMessage('checkpoint');
  }

  private fail(error: Error): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    clearInterval(this.timer);
    void this.worker?.terminate();
    this.worker = undefined;
    this.onFailure(error);
  }
}
