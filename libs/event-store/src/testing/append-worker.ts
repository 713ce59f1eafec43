/**
 * A separate process that writes to a shared store, for the contract suite's multi-process tests.
 * Configured by the JSON in WORKER_TASK; reports one JSON line per outcome on stdout.
 *
 * - race: read the shared stream's revision and append one event expecting exactly it, again and
 *   again; report each win or loss (a loss must be WrongExpectedVersion, nothing else).
 * - loop: append small batches to its own streams until told how many, or until killed; report
 *   each acknowledged append only after the store acknowledged it.
 */
import { openEventStore, type EventStoreConfig } from '../config';
import { StreamNotFoundError, WrongExpectedVersionError } from '../errors';
import type { EventStore } from '../port';
import { uuidv7 } from '../uuid-v7';

export type WorkerTask =
  /** race: reports `ready` once its store is open, then waits for a `go` line on stdin (see `releaseWorkers`). */
  | { mode: 'race'; config: EventStoreConfig; streamId: string; attempts: number; worker: string }
  | {
      mode: 'loop';
      config: EventStoreConfig;
      streamPrefix: string;
      streams: number;
      appends: number | null;
      worker: string;
      startAt?: number;
    };

export type WorkerReport =
  | { kind: 'ready'; worker: string }
  | { kind: 'won'; worker: string; revision: string; position: string }
  | { kind: 'lost'; worker: string; expected: string; actual: string }
  | { kind: 'ack'; streamId: string; ids: string[]; revision: string; position: string }
  | { kind: 'failed'; worker: string; error: string };

function report(line: WorkerReport): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function currentRevision(store: EventStore, streamId: string): Promise<bigint | 'no_stream'> {
  try {
    const [last] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return last.revision;
  } catch (error) {
    if (error instanceof StreamNotFoundError) return 'no_stream';
    throw error;
  }
}

async function waitUntil(startAt: number | undefined): Promise<void> {
  if (startAt && startAt > Date.now()) await new Promise((r) => setTimeout(r, startAt - Date.now()));
}

/** Resolves when the parent writes a line to stdin: every racer starts together, however slowly each process started. */
function goSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.setEncoding('utf8');
    process.stdin.once('data', () => {
      process.stdin.pause();
      resolve();
    });
  });
}

async function race(store: EventStore, task: Extract<WorkerTask, { mode: 'race' }>): Promise<void> {
  const go = goSignal();
  report({ kind: 'ready', worker: task.worker });
  await go;
  for (let i = 0; i < task.attempts; i++) {
    const expected = await currentRevision(store, task.streamId);
    try {
      const result = await store.appendToStream(
        task.streamId,
        [{ type: 'RaceWon', data: { worker: task.worker, attempt: i } }],
        { expectedRevision: expected === 'no_stream' ? 'no_stream' : expected },
      );
      report({
        kind: 'won',
        worker: task.worker,
        revision: String(result.nextExpectedRevision),
        position: String(result.position),
      });
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      report({ kind: 'lost', worker: task.worker, expected: String(error.expected), actual: String(error.actual) });
    }
  }
}

async function loop(store: EventStore, task: Extract<WorkerTask, { mode: 'loop' }>): Promise<void> {
  await waitUntil(task.startAt);
  const revisions = new Map<string, bigint>();
  for (let i = 0; task.appends === null || i < task.appends; i++) {
    const streamId = `${task.streamPrefix}${task.worker}-${i % task.streams}`;
    const batch = 1 + (i % 3);
    const events = Array.from({ length: batch }, (_, k) => ({
      id: uuidv7(),
      type: 'Tick',
      data: { worker: task.worker, append: i, index: k },
    }));
    const previous = revisions.get(streamId);
    const result = await store.appendToStream(streamId, events, {
      expectedRevision: previous === undefined ? 'no_stream' : previous,
    });
    revisions.set(streamId, result.nextExpectedRevision);
    report({
      kind: 'ack',
      streamId,
      ids: events.map((e) => e.id),
      revision: String(result.nextExpectedRevision),
      position: String(result.position),
    });
  }
}

async function main(): Promise<void> {
  const task = JSON.parse(process.env['WORKER_TASK'] ?? 'null') as WorkerTask | null;
  if (!task) throw new Error('WORKER_TASK is not set');
  const store = await openEventStore(task.config);
  try {
    if (task.mode === 'race') await race(store, task);
    else await loop(store, task);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  report({ kind: 'failed', worker: 'worker', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exitCode = 1;
});
