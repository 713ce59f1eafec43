import type { EventStore, SqliteEventStore } from '@sroi/event-store';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { READ_MODELS_FILE, ReadModelDatabase, dumpReadModels } from './read-model-database';
import { rebuildCommand } from './rebuild.main';
import { ReadModelsInUseError, RebuildAbortedError, rebuildReadModels, type RebuildOptions } from './rebuild';
import { Ledger, openStore, seedPortfolio, tempDir, TODAY } from './testing/ledger';
import { contractStreamId } from './contract-events';
import { caughtUp, eventually, readModelsIn } from './testing/read-models.fixture';

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

/** The seeded portfolio and 7 public events in two integration streams (which the rebuild copies). */
async function seedWithPublicEvents(): Promise<void> {
  await seedPortfolio(ledger);
  // Municipality names the key (trimmed, lower case) is computed of in SQLite (ASCII) and in JavaScript (other).
  const names = ['Utrecht', ' \tZeist\n', 'Súdwest-Fryslân', '\u00a0ZEIST ', "'s-Hertogenbosch", 'Utrecht', 'ÅRHUS'];
  const envelopes = names.map((municipality, i) => ({
    type: 'contract.registered',
    data: { id: `e-${i}`, type: 'contract.registered', municipality, contractId: `c-${i}` },
  }));
  await store.appendToStream('integration-utrecht', envelopes.slice(0, 4));
  await store.appendToStream('integration-zeist', envelopes.slice(4));
}

/** The SQLite store seen as another engine would be: through the port alone, so a rebuild reads `$all` event by event. */
function asAnotherEngine(sqlite: SqliteEventStore): EventStore {
  return {
    engine: 'eventstoredb',
    appendToStream: (...args) => sqlite.appendToStream(...args),
    readStream: (...args) => sqlite.readStream(...args),
    readAll: (options) => sqlite.readAll(options),
    headPosition: () => sqlite.headPosition(),
    subscribeToAll: (options) => sqlite.subscribeToAll(options),
    close: async () => undefined,
  };
}

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
    await live.readModels.portfolio({ page: 1, pageSize: 10 }, '2023-06-01');
    await seedPortfolio(ledger);
    await caughtUp(live.runner, store);
    await live.readModels.portfolio({ page: 1, pageSize: 10, status: 'behind' }, TODAY);
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
        await again.readModels.refreshSnapshots(TODAY);
        const rebuiltReadModels = readModelsIn(rebuiltDir.dir, store);
        await rebuiltReadModels.readModels.refreshSnapshots(TODAY);
        await rebuiltReadModels.close();
        const rows = dumpReadModels(rebuilt.db);
        expect(rows).toEqual(dumpReadModels(again.database.db));
        // What the rows depend on is in them: a changed period, a closing, figures for the date.
        expect(rows['contracts']).toContainEqual(expect.objectContaining({ contract_id: 'c-1', end_date: '2025-06-30', snapshot_as_of: TODAY }));
        expect(rows['contracts']).toContainEqual(expect.objectContaining({ contract_id: 'c-3', closed: 1, status: 'not-met' }));
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
      expect((await service.readModels.summary('c-1', TODAY))?.revision).toBe(0);
      expect(readdirSync(tmp.dir).filter((f) => f.includes('rebuild'))).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it('gives the same rows from another engine (read event by event through readAll) as from the SQLite file', async () => {
    await seedPortfolio(ledger);
    const other = asAnotherEngine(store);
    const byStream = join(tmp.dir, 'by-stream.sqlite');
    const byLog = join(tmp.dir, 'by-log.sqlite');
    const a = await rebuildReadModels(store, byStream);
    const b = await rebuildReadModels(other, byLog, { batchSize: 3 });
    expect(b).toMatchObject({ events: a.events, position: a.position, contracts: a.contracts });
    expect(rowsOf(byLog)).toEqual(rowsOf(byStream));
  });

  it.each([
    ['on the calling thread', Number.MAX_SAFE_INTEGER],
    ['while a worker thread builds the contract rows', 0],
  ])('copies the integration log %s, and gives what live processing gives', async (_how, parallelFrom) => {
    await seedWithPublicEvents();
    const live = readModelsIn(tmp.dir, store);
    try {
      live.runner.start();
      await caughtUp(live.runner, store);
      const file = join(tmp.dir, 'rebuilt.sqlite');
      const progress: number[] = [];
      const result = await rebuildReadModels(store, file, { parallelFrom, onProgress: ({ events }) => progress.push(events) });
      expect(result).toMatchObject({ events: Number(await store.headPosition()), contracts: 5 });
      expect(progress.at(-1)).toBe(result.events);
      expect(progress.every((n, i) => n > (progress[i - 1] ?? 0))).toBe(true);
      const rows = rowsOf(file);
      expect(rows).toEqual(dumpReadModels(live.database.db));
      expect(rows['integration_events']).toHaveLength(7);
      expect((rows['integration_events'] as { municipality_key: string }[]).map((r) => r.municipality_key)).toEqual([
        'utrecht',
        'zeist',
        'súdwest-fryslân',
        'zeist',
        "'s-hertogenbosch",
        'utrecht',
        'århus',
      ]);
      expect(rows['contracts']).toHaveLength(5);
      // Only the rebuilt file is left beside the store: no file of the worker's rows.
      expect(readdirSync(tmp.dir).filter((f) => f.includes('rebuilt') || f.includes('.contracts-'))).toEqual(['rebuilt.sqlite']);
    } finally {
      await live.close();
    }
  }, 60_000);

  /** What the live runner reports on the store as it is: its error message. */
  const liveFailure = async (): Promise<string | undefined> => {
    const dir = tempDir();
    const live = readModelsIn(dir.dir, store);
    try {
      live.runner.start();
      await eventually(() => live.runner.state === 'failed');
      return live.runner.lastError?.message;
    } finally {
      await live.close();
      dir.remove();
    }
  };

  it.each([
    ['a stream whose first event is not its registration', () => store.appendToStream('contract-c-9', [{ type: 'ContractClosed', data: { reason: 'x' } }]), /Cannot apply ContractClosed at revision 0 of 'contract-c-9'.*must be ContractRegistered/],
    ['an event without a field the domain folds', () => store.appendToStream(contractStreamId('c-2'), [{ type: 'PurchaseRecorded', data: { contributionId: 'k-9' } }]), /PurchaseRecorded at revision \d+ of 'contract-c-2'.*data\.catalogue/],
    ['an unknown event type', () => store.appendToStream(contractStreamId('c-2'), [{ type: 'ContractRenamed', data: { title: 'x' } }]), /unknown event type 'ContractRenamed'/],
    ['an unsupported schema version', () => store.appendToStream(contractStreamId('c-4'), [{ type: 'ContributionVerified', data: { contributionId: 'x' }, metadata: { schemaVersion: 2 } }]), /schemaVersion 2/],
    ['a second registration', async () => store.appendToStream(contractStreamId('c-1'), [{ type: 'ContractRegistered', data: (await store.readStream(contractStreamId('c-1')))[0].data }]), /ContractRegistered at revision \d+ of 'contract-c-1'.*registered already/],
    ['the registration of another contract', async () => store.appendToStream(contractStreamId('c-8'), [{ type: 'ContractRegistered', data: (await store.readStream(contractStreamId('c-1')))[0].data }]), /registers contract 'c-1' in the stream of 'c-8'/],
    [
      'a gap in a stream (an event deleted from the file)',
      async () => {
        const db = new Database(store.path);
        db.prepare("DELETE FROM events WHERE stream_id = 'contract-c-1' AND revision = 1").run();
        db.close();
      },
      /at revision 2 of 'contract-c-1'.*expected revision 1 of the stream next/,
    ],
  ])('refuses %s as live processing does, naming the event, and keeps the old file', async (_name, spoil, message) => {
    await seedWithPublicEvents();
    const file = join(tmp.dir, READ_MODELS_FILE);
    await rebuildReadModels(store, file);
    const rows = rowsOf(file);
    await spoil();
    const live = await liveFailure();
    // On this thread, and in the worker thread beside the integration log's copy.
    for (const parallelFrom of [Number.MAX_SAFE_INTEGER, 0]) {
      const failure = rebuildReadModels(store, file, { parallelFrom });
      await expect(failure).rejects.toThrow(message);
      const error = (await failure.catch((e: unknown) => e)) as Error;
      expect(error.message).toBe(live);
      expect(rowsOf(file)).toEqual(rows);
      expect(readdirSync(tmp.dir).filter((f) => f.includes('.rebuild-') || f.includes('.contracts-'))).toEqual([]);
    }
  }, 60_000);

  it.each([
    ['an envelope without its contract id', 'contribution.verified', JSON.stringify({ id: 'e-2', type: 'contribution.verified', municipality: 'Utrecht' }), /lacks its id, type, municipality or contract id/],
    ['a type that is not public', 'ContributionVerified', JSON.stringify({ id: 'e-2', type: 'ContributionVerified', municipality: 'Utrecht', contractId: 'c-1' }), /not a public event type/],
    ['data that is not an object', 'contribution.verified', '[1, 2]', /not a JSON object/],
  ])('refuses an integration stream holding %s, naming the event, as live processing does', async (_name, type, json, message) => {
    await ledger.register('c-1');
    const good = { id: 'e-1', type: 'contract.registered', municipality: 'Utrecht', contractId: 'c-1' };
    await store.appendToStream('integration-utrecht', [{ type: 'contract.registered', data: good }, { type, data: JSON.parse(json) }]);
    const head = await store.headPosition();
    const file = join(tmp.dir, 'rebuilt.sqlite');
    const failure = rebuildReadModels(store, file);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toThrow(`at revision 1 of 'integration-utrecht' (position ${head})`);
    expect(await liveFailure()).toBe(((await failure.catch((e: unknown) => e)) as Error).message);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.rebuild-'))).toEqual([]);
  }, 60_000);

  it.each<[string, () => EventStore, RebuildOptions?]>([
    ['from the SQLite file', () => store],
    ['with a worker thread', () => store, { parallelFrom: 0 }],
    ['event by event (another engine)', () => asAnotherEngine(store)],
  ])('stopped by its signal %s: rejects, removes what it built, and keeps the old file', async (_how, source, options = {}) => {
    await seedWithPublicEvents();
    const file = join(tmp.dir, READ_MODELS_FILE);
    await rebuildReadModels(store, file);
    const rows = rowsOf(file);
    await ledger.hire('c-1', 'p-after', { startDate: '2023-05-01' });
    const stop = new AbortController();
    let batches = 0;
    // Stopped once the first batch is in: it must not go on to the end.
    const stopped = rebuildReadModels(source(), file, { ...options, batchSize: 2, signal: stop.signal, onProgress: () => (batches++, stop.abort()) });
    await expect(stopped).rejects.toBeInstanceOf(RebuildAbortedError);
    expect(batches).toBeGreaterThan(0);
    expect(rowsOf(file)).toEqual(rows);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.rebuild-') || f.includes('.contracts-'))).toEqual([]);
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

  it('refuses a folder without an event store (it would create an empty one and rebuild nothing), and arguments it does not take', async () => {
    let output = '';
    const out = new Writable({
      write(chunk, _encoding, done) {
        output += String(chunk);
        done();
      },
    });
    const missing = join(tmp.dir, 'mistyped');
    await expect(rebuildCommand({ SROI_DATA_DIR: missing }, out)).rejects.toThrow(`no event store at ${join(missing, 'events.sqlite')}`);
    expect(existsSync(missing)).toBe(false);
    expect(await rebuildCommand({ SROI_DATA_DIR: tmp.dir }, out, undefined, ['--help'])).toBe(0);
    expect(output).toMatch(/^Usage: npm run rebuild/);
    expect(await rebuildCommand({ SROI_DATA_DIR: tmp.dir }, out, undefined, ['--force'])).toBe(2);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('read-models'))).toEqual([]);
  });
});
