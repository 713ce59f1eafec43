import { channel } from 'node:diagnostics_channel';

/**
 * What the SQLite store publishes on Node's `diagnostics_channel`, for whoever subscribes (an APM
 * agent, a benchmark's probe): how long appends waited for their durable commit, and how long the
 * writer's finishing WAL checkpoints held the commits up. Nothing is published while a channel
 * has no subscriber, and appends are not timed then (one property read an append); a finishing
 * checkpoint, at most about one a second, is always timed.
 */

/** One message a group commit: {@link CommitDiagnostics}. */
export const COMMIT_CHANNEL = 'sroi:event-store:commit';
/** One message a finishing WAL checkpoint of the writer: {@link FinishingCheckpointDiagnostics}. */
export const FINISHING_CHECKPOINT_CHANNEL = 'sroi:event-store:finishing-checkpoint';

export interface CommitDiagnostics {
  /** the database file */
  readonly file: string;
  /** from the group's flush to its outcome (ms): the commit and, on the append thread, the way there and back */
  readonly commitMs: number;
  /**
   * for each append of the group, from its `appendToStream` call to its outcome (ms): what a
   * caller waits for durability, the queue before the commit and any finishing checkpoint ahead
   * of it on the append thread included
   */
  readonly waitsMs: readonly number[];
}

export interface FinishingCheckpointDiagnostics {
  readonly file: string;
  /** the checkpoint's time (ms): no commit of this store ran meanwhile */
  readonly durationMs: number;
  /** where it ran: the append thread, or the connection of the event loop when the store commits there */
  readonly on: 'append-thread' | 'event-loop';
  /** whether it copied the whole WAL (the next commit then starts the WAL over); false when another connection was in the way */
  readonly complete: boolean;
}

export const commitChannel = channel(COMMIT_CHANNEL);
export const finishingCheckpointChannel = channel(FINISHING_CHECKPOINT_CHANNEL);

/** The result row of `PRAGMA wal_checkpoint`: `busy` is 1 when it could not copy everything. */
export const checkpointComplete = (rows: unknown): boolean => {
  const row = Array.isArray(rows) ? (rows[0] as { busy?: unknown } | undefined) : undefined;
  return row !== undefined && Number(row.busy) === 0;
};
