import type { EventStore, SqliteEventStore } from '@sroi/event-store';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { READ_MODELS_FILE, ReadModelDatabase, dumpReadModels } from './read-model-database';
import { rebuildCommand } from './rebuild.main';
import { ReadModelsInUseError, RebuildAbortedError, rebuildReadModels } from './rebuild';
import { Ledger, openStore, seedPortfolio, tempDir, TODAY } from './testing/ledger';
import { caughtUp, readModelsIn } from './testing/read-models.fixture';

let tmp: ReturnType<typeof tempDir>;
let store: SqliteEventStore;
let ledger: Ledger;

beforeEach(() => {
  tmp = tempDir();
  store = openStore(tmp.dir);
  ledger = new Ledger(store);
});

afterEach(async () => {
  await store.close();
  tmp.remove();
});

/** Every row of the read-model file at `file`, table by table (opened and closed again). */
function rowsOf(file: string): Record<string, unknown[]> {
  const database = new ReadModelDatabase(file);
  try {
    return dumpReadModels(database.db);
  } finally {
    database.close();
  }
}

describe('rebuildReadModels', () => {
  it('gives, row for row, what live processing gave (portfolio queried along the way, runner restarted)', async () => {
    const live = readModelsIn(tmp.dir, store, { batchSize: 4, catchUpBatchSize: 4 });
    live.runner.start();
    await ledger.publishCatalogues();
    await ledger.register('c-0');
    await caughtUp(live.runner, store);
    live.readModels.portfolio({ page: 1, pageSize: 10 }, '2023-06-01');
    await seedPortfolio(ledger);
    await caughtUp(live.runner, store);
    live.readModels.portfolio({ page: 1, pageSize: 10, status: 'behind' }, TODAY);
    await live.close();
    const again = readModelsIn(tmp.dir, store);
    again.runner.start();
    await ledger.execute('c-1', { type: 'ChangeContractPeriod', data: { endDate: '2025-06-30', reason: 'Verlenging' } });
    await ledger.hire('c-2', 'p-2', { startDate: '2023-09-01', endDate: '2024-03-31', permanent: true });
    await ledger.execute('c-2', { type: 'WithdrawContribution', data: { contributionId: 'p-2', reason: 'onterecht' } });
    await caughtUp(again.runner, store);

    const rebuiltDir = tempDir();
    try {
      const file = join(rebuiltDir.dir, READ_MODELS_FILE);
      const result = await rebuildReadModels(store, file, { batchSize: 7 });
      expect(result.events).toBe(Number(await store.headPosition()));
      expect(result.position).toBe(await store.headPosition());
      expect(result.contracts).toBe(6);
      const rebuilt = new ReadModelDatabase(file);
      try {
        expect(rebuilt.created).toBe(false);
        // Snapshots are a cache of figures per date: bring both to the same date, then compare everything.
        again.readModels.refreshSnapshots(TODAY);
        const rebuiltReadModels = readModelsIn(rebuiltDir.dir, store);
        rebuiltReadModels.readModels.refreshSnapshots(TODAY);
        await rebuiltReadModels.close();
        expect(dumpReadModels(rebuilt.db)).toEqual(dumpReadModels(again.database.db));
        expect(dumpReadModels(rebuilt.db)['contributions']).toHaveLength(9);
      } finally {
        rebuilt.close();
      }
      // Only the rebuilt file is left: no temporary file, no journal.
      expect(readdirSync(rebuiltDir.dir)).toEqual([READ_MODELS_FILE]);
    } finally {
      await again.close();
      rebuiltDir.remove();
    }
  });

  it('swaps the new file in over an old one, which then resumes from the rebuilt checkpoint', async () => {
    await seedPortfolio(ledger);
    const file = join(tmp.dir, READ_MODELS_FILE);
    const old = new ReadModelDatabase(file);
    old.db.prepare("INSERT INTO checkpoints VALUES ('contracts', '1')").run();
    old.close();
    await rebuildReadModels(store, file);
    const after = readModelsIn(tmp.dir, store);
    try {
      expect(after.runner.lastAppliedPosition()).toBe(await store.headPosition());
      after.runner.start();
      const { position } = await ledger.hire('c-1', 'p-7', { startDate: '2023-05-01' });
      expect(await after.runner.waitFor(position, 5_000)).toBe(true);
      expect(after.runner.appliedEvents).toBe(1);
    } finally {
      await after.close();
    }
  });

  it('replaces a damaged file', async () => {
    await ledger.register('c-1');
    const file = join(tmp.dir, READ_MODELS_FILE);
    writeFileSync(file, 'not a database, just text that is long enough to have a header...'.repeat(20));
    await rebuildReadModels(store, file);
    const db = new ReadModelDatabase(file);
    expect(db.checkpoint('contracts')).toBe(1n);
    db.close();
  });

  it('refuses to swap while another connection (the service) has the file open, and leaves it untouched', async () => {
    await ledger.register('c-1');
    const service = readModelsIn(tmp.dir, store);
    try {
      service.runner.start();
      await caughtUp(service.runner, store);
      await expect(rebuildReadModels(store, service.file)).rejects.toBeInstanceOf(ReadModelsInUseError);
      expect(service.readModels.summary('c-1', TODAY)?.revision).toBe(0);
      expect(readdirSync(tmp.dir).filter((f) => f.includes('rebuild'))).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it('gives the same rows from another engine (read in log order through readAll) as from SQLite (read stream by stream)', async () => {
    await seedPortfolio(ledger);
    const other: EventStore = {
      engine: 'eventstoredb',
      appendToStream: (...args) => store.appendToStream(...args),
      readStream: (...args) => store.readStream(...args),
      readAll: (options) => store.readAll(options),
      headPosition: () => store.headPosition(),
      subscribeToAll: (options) => store.subscribeToAll(options),
      close: async () => undefined,
    };
    const byStream = join(tmp.dir, 'by-stream.sqlite');
    const byLog = join(tmp.dir, 'by-log.sqlite');
    const a = await rebuildReadModels(store, byStream);
    const b = await rebuildReadModels(other, byLog, { batchSize: 3 });
    expect(b).toMatchObject({ events: a.events, position: a.position, contracts: a.contracts });
    expect(rowsOf(byLog)).toEqual(rowsOf(byStream));
  });

  it('builds the same rows in worker threads (contract streams split between them, then merged) as on one thread', async () => {
    await seedPortfolio(ledger);
    const oneThread = join(tmp.dir, 'one-thread.sqlite');
    const inWorkers = join(tmp.dir, 'in-workers.sqlite');
    const a = await rebuildReadModels(store, oneThread, { workers: 1, parallelFrom: 0 });
    const progress: number[] = [];
    const b = await rebuildReadModels(store, inWorkers, { workers: 2, parallelFrom: 0, batchSize: 3, onProgress: ({ events }) => progress.push(events) });
    expect(a.threads).toBe(1);
    expect(b.threads).toBe(2); // two workers (no integration log to copy)
    expect(b).toMatchObject({ events: a.events, position: a.position, contracts: 5 });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((n, i) => n > (progress[i - 1] ?? 0))).toBe(true);
    const rows = rowsOf(inWorkers);
    expect(rows).toEqual(rowsOf(oneThread));
    expect(rows['contracts']).toHaveLength(5);
    // No part file is left behind.
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.part-'))).toEqual([]);
  }, 60_000);

  it('copies the integration log while a worker thread builds the contracts, and gives the rows of one thread', async () => {
    await seedPortfolio(ledger);
    const envelopes = Array.from({ length: 7 }, (_, i) => ({
      type: 'contract.registered',
      data: { id: `e-${i}`, type: 'contract.registered', municipality: i % 2 ? 'Utrecht' : 'Zeist', contractId: `c-${i}` },
    }));
    await store.appendToStream('integration-utrecht', envelopes.slice(0, 4));
    await store.appendToStream('integration-zeist', envelopes.slice(4));
    const oneThread = join(tmp.dir, 'one-thread.sqlite');
    const inWorkers = join(tmp.dir, 'in-workers.sqlite');
    const a = await rebuildReadModels(store, oneThread, { workers: 1, parallelFrom: 0 });
    const b = await rebuildReadModels(store, inWorkers, { workers: 2, parallelFrom: 0, batchSize: 2 });
    expect(b.threads).toBe(2); // one worker for the contracts beside this thread's copy
    expect(b).toMatchObject({ events: a.events, position: a.position, contracts: 5 });
    const rows = rowsOf(inWorkers);
    expect(rows).toEqual(rowsOf(oneThread));
    expect(rows['integration_events']).toHaveLength(7);
    expect(rows['contracts']).toHaveLength(5);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.part-'))).toEqual([]);
  }, 60_000);

  it('builds on one thread when a worker runs out of its bounded heap, and gives the same rows', async () => {
    await seedPortfolio(ledger);
    const oneThread = join(tmp.dir, 'one-thread.sqlite');
    const fallback = join(tmp.dir, 'fallback.sqlite');
    await rebuildReadModels(store, oneThread, { workers: 1 });
    const result = await rebuildReadModels(store, fallback, { workers: 2, parallelFrom: 0, workerHeapMb: 1 });
    expect(result.threads).toBe(1);
    expect(result.events).toBe(Number(await store.headPosition()));
    expect(rowsOf(fallback)).toEqual(rowsOf(oneThread));
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.part-') || f.includes('.rebuild-'))).toEqual([]);
  }, 60_000);

  it('stops every worker and keeps the old file when a part meets a malformed event', async () => {
    await seedPortfolio(ledger);
    const file = join(tmp.dir, READ_MODELS_FILE);
    await rebuildReadModels(store, file, { workers: 1 });
    const rows = rowsOf(file);
    await store.appendToStream('contract-c-9', [{ type: 'HireRecorded', data: { placementId: 'p-1' }, metadata: {} }]);
    await expect(rebuildReadModels(store, file, { workers: 2, parallelFrom: 0 })).rejects.toThrow(/Cannot apply HireRecorded at revision 0 of 'contract-c-9'/);
    expect(rowsOf(file)).toEqual(rows);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.part-') || f.includes('.rebuild-'))).toEqual([]);
  }, 60_000);

  it.each([
    ['an envelope without its contract id', 'contribution.verified', JSON.stringify({ id: 'e-2', type: 'contribution.verified', municipality: 'Utrecht' }), /lacks its id, type, municipality or contract id/],
    ['a type that is not public', 'ContributionVerified', JSON.stringify({ id: 'e-2', type: 'ContributionVerified', municipality: 'Utrecht', contractId: 'c-1' }), /not a public event type/],
    ['data that is not an object', 'contribution.verified', '[1, 2]', /not a JSON object/],
  ])('refuses an integration stream holding %s, naming the event, on one thread and in workers', async (_name, type, json, message) => {
    await ledger.register('c-1');
    const good = { id: 'e-1', type: 'contract.registered', municipality: 'Utrecht', contractId: 'c-1' };
    await store.appendToStream('integration-utrecht', [{ type: 'contract.registered', data: good }, { type, data: JSON.parse(json) }]);
    const head = await store.headPosition();
    for (const workers of [1, 2]) {
      const file = join(tmp.dir, `w${workers}.sqlite`);
      const failure = rebuildReadModels(store, file, { workers, parallelFrom: 0 });
      await expect(failure).rejects.toThrow(message);
      await expect(failure).rejects.toThrow(`at revision 1 of 'integration-utrecht' (position ${head})`);
      expect(existsSync(file)).toBe(false);
    }
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.part-') || f.includes('.rebuild-'))).toEqual([]);
  }, 60_000);

  it.each([
    ['on one thread', { workers: 1, batchSize: 2 }],
    ['in worker threads', { workers: 2, parallelFrom: 0, batchSize: 2 }],
  ])('stopped by its signal %s: rejects, removes what it built, and keeps the old file', async (_how, options) => {
    await seedPortfolio(ledger);
    const file = join(tmp.dir, READ_MODELS_FILE);
    await rebuildReadModels(store, file, { workers: 1 });
    const rows = rowsOf(file);
    await ledger.hire('c-1', 'p-after', { startDate: '2023-05-01' });
    const stop = new AbortController();
    let batches = 0;
    // Threads are asked to stop, not terminated (terminating one inside a better-sqlite3 call can abort the process).
    const terminate = jest.spyOn(Worker.prototype, 'terminate');
    try {
      // Stopped once the first batch is in: it must not go on to the end.
      const stopped = rebuildReadModels(store, file, { ...options, signal: stop.signal, onProgress: () => (batches++, stop.abort()) });
      await expect(stopped).rejects.toBeInstanceOf(RebuildAbortedError);
      expect(terminate).not.toHaveBeenCalled();
    } finally {
      terminate.mockRestore();
    }
    expect(batches).toBeGreaterThan(0);
    expect(rowsOf(file)).toEqual(rows);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.part-') || f.includes('.rebuild-'))).toEqual([]);
  }, 60_000);

  it('checkpoints the head when the log holds no contract event', async () => {
    await ledger.publishCatalogues();
    const file = join(tmp.dir, READ_MODELS_FILE);
    const head = await store.headPosition();
    expect(await rebuildReadModels(store, file)).toMatchObject({ events: Number(head), position: head, contracts: 0 });
    const db = new ReadModelDatabase(file);
    expect(db.checkpoint('contracts')).toBe(head);
    db.close();
  });

  it('rebuilds an empty store into empty read models', async () => {
    const file = join(tmp.dir, READ_MODELS_FILE);
    expect(await rebuildReadModels(store, file)).toMatchObject({ events: 0, position: null, contracts: 0 });
    expect(existsSync(file)).toBe(true);
  });
});

describe('rebuild command', () => {
  it('rebuilds read-models.sqlite in SROI_DATA_DIR from the store there', async () => {
    await seedPortfolio(ledger);
    await store.close();
    let output = '';
    const out = new Writable({
      write(chunk, _encoding, done) {
        output += String(chunk);
        done();
      },
    });
    const aborted = new AbortController();
    aborted.abort();
    await expect(rebuildCommand({ SROI_DATA_DIR: tmp.dir, SROI_SQLITE_SYNCHRONOUS: 'OFF' }, out, aborted.signal)).rejects.toBeInstanceOf(RebuildAbortedError);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('read-models'))).toEqual([]);
    const code = await rebuildCommand({ SROI_DATA_DIR: tmp.dir, SROI_SQLITE_SYNCHRONOUS: 'OFF' }, out);
    expect(code).toBe(0);
    expect(output).toMatch(/Rebuilt 5 contracts from \d+ events/);
    store = openStore(tmp.dir);
    const db = new ReadModelDatabase(join(tmp.dir, READ_MODELS_FILE));
    expect(db.checkpoint('contracts')).toBe(await store.headPosition());
    db.close();
  });
});
