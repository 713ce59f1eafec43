/**
 * The publisher in a worker thread of its own (as `npm start` runs it), on a real SQLite file
 * shared with this thread's store: what it publishes, what it reports, how it stops and fails.
 */
import type { RecordedEvent, SqliteEventStore } from '@sroi/event-store';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, openStore, tempDir } from '../../projections/testing/ledger';
import { INTEGRATION_STREAM_PREFIX } from '../integration-streams';
import type { PublisherLogger } from './integration-publisher';
import { INTEGRATION_FILE, PublisherCheckpoint } from './publisher-checkpoint';
import { PublisherThread } from './publisher-thread';

let tmp: ReturnType<typeof tempDir>;
let store: SqliteEventStore;
let ledger: Ledger;
const threads: PublisherThread[] = [];

beforeEach(() => {
  tmp = tempDir('sroi-publisher-thread-');
  store = openStore(tmp.dir);
  ledger = new Ledger(store);
});

afterEach(async () => {
  for (const t of threads.splice(0)) await t.stop();
  await store.close();
  tmp.remove();
});

function lines(): PublisherLogger & { all: string[] } {
  const all: string[] = [];
  return { all, log: (m) => all.push(`log ${m}`), warn: (m) => all.push(`warn ${m}`), error: (m) => all.push(`error ${m}`) };
}

function thread(logger: PublisherLogger, checkpointFile = join(tmp.dir, INTEGRATION_FILE)): PublisherThread {
  const t = new PublisherThread({ eventStore: { engine: 'sqlite', path: store.path, synchronous: 'OFF' }, checkpointFile, options: { batchWindowMs: 2 } }, logger);
  threads.push(t);
  return t;
}

async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function all(): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readAll()) out.push(e);
  return out;
}

async function lastInternal(): Promise<bigint> {
  const internal = (await all()).filter((e) => !e.streamId.startsWith(INTEGRATION_STREAM_PREFIX));
  return internal[internal.length - 1].position;
}

describe('PublisherThread', () => {
  it('publishes the log from its own thread, then live events, and reports as the publisher does', async () => {
    await ledger.publishCatalogues();
    await ledger.register('c-1');
    const logger = lines();
    const t = thread(logger);
    expect(t.state).toBe('stopped');
    t.start();
    expect(t.state).toBe('catching-up');
    await until('caught up with the log', () => t.isCaughtUp() && t.isWarm());
    await until('published the registration', () => (t.lastPublishedPosition() ?? -1n) >= 0n);
    expect(t.state).toBe('live');
    // Appended by this thread while the other one is live.
    await ledger.hire('c-1', 'p-1');
    const target = await lastInternal();
    await until('published the hire', () => (t.lastPublishedPosition() ?? -1n) >= target);
    const published = (await all()).filter((e) => e.streamId.startsWith(INTEGRATION_STREAM_PREFIX));
    // (Each also changes the obligation's status: obligation.status-changed follows it.)
    expect(published.map((e) => [e.streamId, e.type]).filter(([, type]) => type !== 'obligation.status-changed')).toEqual([
      ['integration-utrecht', 'contract.registered'],
      ['integration-utrecht', 'contribution.recorded'],
    ]);
    expect(t.publishedEvents).toBe(published.length);
    expect(t.lastError).toBeNull();
    // Its log lines come through this thread's logger.
    expect(logger.all.some((l) => l.startsWith('log Integration publisher: caught up'))).toBe(true);
  }, 30_000);

  it('stops at a checkpoint it saved, and a new thread goes on from there without publishing twice', async () => {
    await ledger.register('c-1');
    const first = thread(lines());
    first.start();
    const target = await lastInternal();
    await until('published', () => (first.lastPublishedPosition() ?? -1n) >= target);
    await first.stop();
    expect(first.state).toBe('stopped');
    const checkpoint = new PublisherCheckpoint(join(tmp.dir, INTEGRATION_FILE));
    expect(checkpoint.load()).toBe(first.lastPublishedPosition());
    checkpoint.close();

    await ledger.hire('c-1', 'p-1');
    const second = thread(lines());
    second.start();
    const next = await lastInternal();
    await until('published the hire', () => (second.lastPublishedPosition() ?? -1n) >= next);
    const ids = (await all()).filter((e) => e.streamId.startsWith(INTEGRATION_STREAM_PREFIX)).map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(second.publishedEvents).toBe(ids.length - first.publishedEvents);
    expect(second.publishedEvents).toBeGreaterThan(0);
  }, 30_000);

  it('reports a thread that cannot start as failed, with the reason, and logs it', async () => {
    // A folder where the checkpoint's file should be: SQLite cannot open it.
    const folder = join(tmp.dir, 'not-a-file');
    mkdirSync(folder);
    const logger = lines();
    const t = thread(logger, folder);
    t.start();
    await until('failed', () => t.state === 'failed');
    expect(t.isCaughtUp()).toBe(false);
    expect(t.lastError?.message).toMatch(/publisher's thread failed/);
    expect(logger.all.some((l) => l.startsWith('error Integration publisher stopped'))).toBe(true);
    await t.stop();
    expect(t.state).toBe('failed');
  }, 30_000);
});
