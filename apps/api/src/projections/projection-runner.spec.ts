import { figuresOf, fold, isRegistered } from '@sroi/domain';
import type { AllSubscription, EventStore, RecordedEvent, SqliteEventStore } from '@sroi/event-store';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { IntegrationLogProjection } from '../integration/integration-log-projection';
import { contractIdOf, contractStreamId } from './contract-events';
import { ContractProjection } from './contract-projection';
import { ContractTables } from './contract-tables';
import { ProjectionHealth } from './projection-health';
import { ProjectionRunner } from './projection-runner';
import { dumpReadModels, READ_MODELS_FILE, ReadModelDatabase } from './read-model-database';
import { buildNewReadModels, rebuildReadModels } from './rebuild';
import { Ledger, openStore, seedPortfolio, tempDir, toContractEvent, TODAY } from './testing/ledger';
import { caughtUp, eventually, readModelsIn, type ReadModelsFixture } from './testing/read-models.fixture';

let tmp: ReturnType<typeof tempDir>;
let store: SqliteEventStore;
let ledger: Ledger;
let fixture: ReadModelsFixture | undefined;

beforeEach(() => {
  tmp = tempDir();
  store = openStore(tmp.dir);
  ledger = new Ledger(store);
});

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  await store.close();
  tmp.remove();
});

async function allEvents(s: EventStore = store): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of s.readAll()) out.push(e);
  return out;
}

/** The checkpoint of each transaction the fixture's runner commits, in order. */
function recordCommits(f: ReadModelsFixture): bigint[] {
  const commits: bigint[] = [];
  const save = f.database.saveCheckpoint.bind(f.database);
  f.database.saveCheckpoint = (name, position) => {
    if (name === 'contracts') commits.push(position);
    save(name, position);
  };
  return commits;
}

describe('ProjectionRunner', () => {
  it('keeps a row per contract with the figures the domain folds from its stream, and checkpoints the last event of $all', async () => {
    await seedPortfolio(ledger);
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await caughtUp(fixture.runner, store);

    const events = await allEvents();
    const head = events[events.length - 1].position;
    expect(events[events.length - 1].streamId.startsWith('contract-')).toBe(true);
    expect(fixture.database.checkpoint('contracts')).toBe(head);
    expect(fixture.runner.lastAppliedPosition()).toBe(head);
    expect(fixture.runner.appliedEvents).toBe(events.length);

    for (const contractId of ['c-1', 'c-2', 'c-3', 'c-4', 'c-5']) {
      const history = events.filter((e) => e.streamId === contractStreamId(contractId));
      const expected = fold(history.map(toContractEvent));
      const row = fixture.tables.row(contractId);
      if (!row || !isRegistered(expected)) throw new Error(`no row for ${contractId}`);
      // The row holds what the domain's fold says of the contract.
      expect(row).toMatchObject({
        municipality: expected.municipality,
        contractor_kvk: expected.contractor.kvk,
        contractor_name: expected.contractor.name,
        title: expected.title,
        tender_reference: expected.tenderReference,
        sroi_basis_points: expected.sroiBasisPoints,
        start_date: expected.startDate,
        end_date: expected.endDate,
        closed: expected.status === 'closed' ? 1 : 0,
      });
      const last = history[history.length - 1];
      const summary = await fixture.readModels.summary(contractId, TODAY);
      const figures = figuresOf(expected, TODAY);
      expect(summary).toMatchObject({
        contractId,
        revision: Number(last.revision),
        position: String(last.position),
        updatedAt: last.recordedAt,
        asOf: TODAY,
        obligationCents: figures.obligationCents,
        realisedCents: figures.realisedCents,
        committedCents: figures.committedCents,
        verifiedCents: figures.verifiedCents,
        awaitingAgreement: figures.awaitingAgreement,
        status: figures.status,
        contractValueCents: figures.contractValueCents,
        catalogue: figures.catalogue,
        endDate: expected.endDate,
        closed: expected.status === 'closed',
      });
    }
  });

  it('gives the same rows whether a batch holds a whole contract stream or one event of it', async () => {
    await seedPortfolio(ledger);
    const head = await store.headPosition();
    const dump = async (batchSize: number): Promise<Record<string, unknown[]>> => {
      const dir = tempDir();
      try {
        const f = readModelsIn(dir.dir, store, { batchSize, catchUpBatchSize: batchSize });
        f.runner.start();
        await caughtUp(f.runner, store);
        expect(f.database.checkpoint('contracts')).toBe(head);
        await f.readModels.refreshSnapshots(TODAY);
        const rows = dumpReadModels(f.database.db);
        await f.close();
        return rows;
      } finally {
        dir.remove();
      }
    };
    const oneByOne = await dump(1);
    expect(oneByOne['contracts']?.length).toBe(5);
    expect(await dump(10_000)).toEqual(oneByOne);
  });

  describe('new read models over a large SQLite log (the fast start)', () => {
    const build = (f: () => ReadModelsFixture) => () => buildNewReadModels(store, f().database, { from: 0 });
    /** Starts `fixture` on new read models with the fast build; once caught up, answers it and what the build reported. */
    const startWithFastBuild = async (): Promise<{ started: ReadModelsFixture; built: Awaited<ReturnType<typeof buildNewReadModels>> }> => {
      let built: Awaited<ReturnType<typeof buildNewReadModels>> = null;
      const fast = build(() => fixture as ReadModelsFixture);
      const started = readModelsIn(tmp.dir, store, { initialBuild: async () => (built = await fast()) });
      fixture = started;
      started.runner.start();
      await caughtUp(started.runner, store);
      return { started, built };
    };

    it('are built in place as a rebuild builds them, then the runner goes live with the rows event-by-event processing gives', async () => {
      await seedPortfolio(ledger);
      const reference = tempDir();
      try {
        const slow = readModelsIn(reference.dir, store);
        slow.runner.start();
        const { started, built } = await startWithFastBuild();
        expect(built).toMatchObject({ events: Number(await store.headPosition()), contracts: 5 });
        expect(started.runner.appliedEvents).toBe(Number(await store.headPosition()));
        // and live after it
        const { position } = await ledger.hire('c-1', 'p-fast', { startDate: '2023-05-01' });
        expect(await started.runner.waitFor(position, 5_000)).toBe(true);
        expect(started.runner.state).toBe('live');
        await caughtUp(slow.runner, store);
        for (const f of [started, slow]) await f.readModels.refreshSnapshots(TODAY);
        expect(dumpReadModels(started.database.db)).toEqual(dumpReadModels(slow.database.db));
        await slow.close();
      } finally {
        reference.remove();
      }
    }, 60_000);

    it('start over from what a build killed midway left (rows without a checkpoint)', async () => {
      await seedPortfolio(ledger);
      fixture = readModelsIn(tmp.dir, store);
      await buildNewReadModels(store, fixture.database, { from: 0 });
      const complete = dumpReadModels(fixture.database.db);
      // killed before its checkpoints were written: some rows, no checkpoint
      fixture.database.db.exec("DELETE FROM checkpoints; DELETE FROM contracts WHERE contract_id IN ('c-2', 'c-4')");
      await expect(buildNewReadModels(store, fixture.database, { from: 0 })).resolves.toMatchObject({ contracts: 5 });
      expect(dumpReadModels(fixture.database.db)).toEqual(complete);
    }, 60_000);

    it('stop the build when the runner stops: nothing of it stays, no fallback, and the next start builds them', async () => {
      await seedPortfolio(ledger);
      const warnings: string[] = [];
      let batches = 0;
      let stopping: Promise<void> | undefined;
      const first = readModelsIn(tmp.dir, store, {
        initialBuild: (signal) =>
          buildNewReadModels(store, first.database, {
            from: 0,
            signal,
            // the service is told to stop once the first batch is in
            onProgress: () => (batches++, (stopping ??= first.runner.stop())),
          }),
        logger: { log: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
      });
      first.runner.start();
      await eventually(() => stopping !== undefined, 30_000);
      await stopping;
      expect(batches).toBeGreaterThan(0);
      expect(first.runner.state).toBe('stopped');
      expect(first.runner.lastAppliedPosition()).toBeNull();
      expect(warnings).toEqual([]);
      expect(first.database.checkpoint('contracts')).toBeNull();
      expect(first.database.isEmpty()).toBe(true);
      await first.close();

      expect((await startWithFastBuild()).built).toMatchObject({ events: Number(await store.headPosition()), contracts: 5 });
    }, 60_000);

    it('are not built when the file holds anything already, nor for a log below the threshold', async () => {
      await seedPortfolio(ledger);
      fixture = readModelsIn(tmp.dir, store);
      await expect(buildNewReadModels(store, fixture.database, { from: 1_000_000 })).resolves.toBeNull();
      fixture.database.saveCheckpoint('contracts', 1n);
      await expect(buildNewReadModels(store, fixture.database, { from: 0 })).resolves.toBeNull();
    });

    it('fall back to event by event when the build fails: nothing of it stays, and a bad event is reported as usual', async () => {
      await ledger.register('c-1');
      await ledger.hire('c-1', 'p-1');
      const bad = await store.appendToStream(contractStreamId('c-1'), [{ type: 'PurchaseRecorded', data: { contributionId: 'k-1' }, metadata: { schemaVersion: 1 } }]);
      await ledger.register('c-2');
      const warnings: string[] = [];
      fixture = readModelsIn(tmp.dir, store, {
        initialBuild: build(() => fixture as ReadModelsFixture),
        logger: { log: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
      });
      fixture.runner.start();
      await eventually(() => fixture?.runner.state === 'failed', 30_000);
      expect(warnings.join('\n')).toMatch(/fast build from the whole log failed \(Cannot apply PurchaseRecorded at revision 2 of 'contract-c-1'.*catching up event by event/);
      expect(fixture.runner.lastError?.event?.position).toBe(String(bad.position));
      // What precedes the bad event is applied event by event, and nothing after it.
      expect(fixture.database.checkpoint('contracts')).toBe(bad.position - 1n);
      expect((await fixture.readModels.summary('c-1', TODAY))?.revision).toBe(1);
      expect(await fixture.readModels.summary('c-2', TODAY)).toBeNull();
    }, 60_000);
  });

  it("reads the projections' checkpoints as one snapshot: another process's commit between the two reads does not tear them", async () => {
    await seedPortfolio(ledger);
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await caughtUp(fixture.runner, store);
    const head = fixture.runner.lastAppliedPosition() as bigint;
    await fixture.close();
    fixture = undefined;

    // Another process (a second connection to the same file) commits both checkpoints further,
    // in one transaction, right after the first of them has been read.
    const database = new ReadModelDatabase(join(tmp.dir, READ_MODELS_FILE));
    const other = new Database(join(tmp.dir, READ_MODELS_FILE));
    const readOne = database.checkpoint.bind(database);
    let reads = 0;
    database.checkpoint = (projection: string) => {
      const position = readOne(projection);
      if (++reads === 1) other.transaction(() => other.prepare('UPDATE checkpoints SET position = ?').run(String(head + 1n)))();
      return position;
    };
    try {
      const runner = new ProjectionRunner(store, database, [new ContractProjection(new ContractTables(database)), new IntegrationLogProjection(database.db)]);
      expect(reads).toBe(2);
      // The snapshot before the other commit: both at head (read one by one: head and head + 1, refused).
      expect(runner.lastAppliedPosition()).toBe(head);
      expect(readOne('contracts')).toBe(head + 1n);
    } finally {
      other.close();
      database.close();
    }
  });

  it('applies live events after catching up, and waitFor resolves on apply', async () => {
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await eventually(() => fixture?.runner.isCaughtUp() === true);
    expect(fixture.runner.state).toBe('live');
    expect(fixture.runner.lastAppliedPosition()).toBeNull();

    const { position } = await ledger.register('c-1');
    const waiting = fixture.runner.waitFor(position, 5_000);
    await expect(waiting).resolves.toBe(true);
    expect((await fixture.readModels.summary('c-1', TODAY))?.revision).toBe(0);
    // Already applied: resolves at once.
    await expect(fixture.runner.waitFor(position, 0)).resolves.toBe(true);
    // Events of other streams are skipped but advance the position, so any position can be waited for.
    await ledger.publishCatalogues();
    const head = (await store.headPosition()) as bigint;
    await expect(fixture.runner.waitFor(head, 5_000)).resolves.toBe(true);
    expect(fixture.database.checkpoint('contracts')).toBe(head);
    expect((await fixture.readModels.summary('c-1', TODAY))?.position).toBe(String(position));
  });

  it('waitFor times out (false) for a position that is not applied in time', async () => {
    await ledger.register('c-1');
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await caughtUp(fixture.runner, store);
    const head = (await store.headPosition()) as bigint;
    const started = Date.now();
    await expect(fixture.runner.waitFor(head + 1n, 60)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('resumes after a restart exactly after its checkpoint, applying nothing twice', async () => {
    await seedPortfolio(ledger);
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await caughtUp(fixture.runner, store);
    const firstRun = fixture.runner.appliedEvents;
    await fixture.close();

    // Nothing new: a new runner on the same file applies nothing.
    fixture = readModelsIn(tmp.dir, store);
    expect(fixture.runner.lastAppliedPosition()).toBe(await store.headPosition());
    fixture.runner.start();
    await eventually(() => fixture?.runner.isCaughtUp() === true);
    expect(fixture.runner.appliedEvents).toBe(0);
    await fixture.close();

    // Events appended while stopped: the next runner applies exactly those.
    const before = (await allEvents()).length;
    await ledger.hire('c-2', 'p-9', { startDate: '2023-07-01' });
    await ledger.execute('c-1', { type: 'ChangeContractValue', data: { contractValueCents: 60_000_000, effectiveDate: '2024-01-01', reason: 'Meerwerk' } });
    await ledger.execute('c-2', { type: 'WithdrawContribution', data: { contributionId: 'k-2', reason: 'fout' } });
    await ledger.register('c-6', { municipality: 'Amersfoort' });
    const after = (await allEvents()).length;
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await caughtUp(fixture.runner, store);
    expect(fixture.runner.appliedEvents).toBe(after - before);
    expect(firstRun).toBe(before);

    // The result equals a fresh rebuild from position 0.
    const rebuilt = tempDir();
    try {
      const file = `${rebuilt.dir}/read-models.sqlite`;
      await rebuildReadModels(store, file);
      const fresh = readModelsIn(rebuilt.dir, store);
      try {
        expect(dumpReadModels(fresh.database.db)).toEqual(dumpReadModels(fixture.database.db));
      } finally {
        await fresh.close();
      }
    } finally {
      rebuilt.remove();
    }
  });

  it('batches: a long history is applied in transactions of at most batchSize events', async () => {
    await ledger.register('c-1');
    for (let i = 0; i < 30; i++) await ledger.purchase('c-1', `k-${i}`, 10_000 + i);
    fixture = readModelsIn(tmp.dir, store, { batchSize: 7, catchUpBatchSize: 7 });
    const commits = recordCommits(fixture);
    fixture.runner.start();
    await caughtUp(fixture.runner, store);
    expect(commits.length).toBe(Math.ceil(31 / 7));
    expect((await fixture.readModels.summary('c-1', TODAY))?.revision).toBe(30);
  });

  it('once live, applies a batch as soon as it holds batchSize events, and a slow trickle in one transaction after batchWindowMs', async () => {
    await ledger.register('c-1');
    fixture = readModelsIn(tmp.dir, store, { batchSize: 5, batchWindowMs: 1_000 });
    const commits = recordCommits(fixture);
    fixture.runner.start();
    await caughtUp(fixture.runner, store);
    await eventually(() => fixture?.runner.state === 'live');
    commits.length = 0;

    // A burst of 12: two full batches at once, the 2 left once the window of the 11th has passed.
    const burst: bigint[] = [];
    for (let i = 0; i < 12; i++) burst.push((await ledger.purchase('c-1', `burst-${i}`, 10_000 + i)).position);
    await caughtUp(fixture.runner, store);
    expect(commits).toEqual([burst[4], burst[9], burst[11]]);

    // A trickle of 3, 50 ms apart: one transaction, not three.
    commits.length = 0;
    const trickle: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      trickle.push((await ledger.purchase('c-1', `trickle-${i}`, 20_000 + i)).position);
      await new Promise((r) => setTimeout(r, 50));
    }
    await caughtUp(fixture.runner, store);
    expect(commits).toEqual([trickle[2]]);
    expect((await fixture.readModels.summary('c-1', TODAY))?.revision).toBe(15);
  });

  it('stops visibly on a malformed contract event: applies what precedes it, reports it, never skips it', async () => {
    await ledger.register('c-1');
    await ledger.hire('c-1', 'p-1');
    const bad = await store.appendToStream(contractStreamId('c-1'), [{ type: 'PurchaseRecorded', data: { contributionId: 'k-1' }, metadata: { schemaVersion: 1 } }]);
    await ledger.register('c-2');
    fixture = readModelsIn(tmp.dir, store);
    const health = new ProjectionHealth(fixture.runner);
    fixture.runner.start();
    await eventually(() => fixture?.runner.state === 'failed');

    expect(health.isReady()).toBe(false);
    expect(health.isHealthy()).toBe(false);
    const report = health.report();
    expect(report.state).toBe('failed');
    expect(report.lastError?.message).toMatch(/PurchaseRecorded at revision 2 of 'contract-c-1'.*data\.catalogue/);
    expect(report.lastError?.event).toEqual({ streamId: 'contract-c-1', revision: '2', position: String(bad.position), type: 'PurchaseRecorded' });
    // The events before it are applied and checkpointed; nothing after it.
    expect(report.lastAppliedPosition).toBe(String(bad.position - 1n));
    expect(fixture.database.checkpoint('contracts')).toBe(bad.position - 1n);
    expect((await fixture.readModels.summary('c-1', TODAY))?.revision).toBe(1);
    expect(await fixture.readModels.summary('c-2', TODAY)).toBeNull();
    await expect(fixture.runner.waitFor(bad.position, 1_000)).resolves.toBe(false);

    // A restart fails again on the same event: it is not skipped.
    await fixture.close();
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await eventually(() => fixture?.runner.state === 'failed');
    expect(fixture.runner.lastError?.event?.position).toBe(String(bad.position));
    expect(fixture.runner.appliedEvents).toBe(0);
  });

  it.each([
    ['an unknown event type', { type: 'ContractRenamed', data: { title: 'x' } }, /unknown event type 'ContractRenamed'/],
    ['a second registration', { type: 'ContractRegistered', data: {} }, /data\.contractId/],
    ['an event without a field the domain folds', { type: 'PlacementChanged', data: { placementId: 'p-1', effectiveDate: '2024-01-01', permanent: true } }, /data\.hoursPerWeek/],
    ['an unsupported schema version', { type: 'ContractClosed', data: { reason: 'x' }, metadata: { schemaVersion: 2 } }, /schemaVersion 2/],
  ])('fails on %s', async (_name, event, message) => {
    await ledger.register('c-1');
    await store.appendToStream(contractStreamId('c-1'), [event]);
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await eventually(() => fixture?.runner.state === 'failed');
    expect(fixture.runner.lastError?.message).toMatch(message);
  });

  it('fails on a contract stream that does not start with its registration', async () => {
    await ledger.register('c-1');
    const registration = (await store.readStream(contractStreamId('c-1')))[0];
    await store.appendToStream(contractStreamId('c-2'), [{ type: 'ContractRegistered', data: registration.data }]);
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await eventually(() => fixture?.runner.state === 'failed');
    expect(fixture.runner.lastError?.message).toMatch(/registers contract 'c-1' in the stream of 'c-2'/);
  });

  it('resubscribes from its checkpoint with backoff when the subscription drops', async () => {
    await seedPortfolio(ledger);
    let subscriptions = 0;
    const afters: (bigint | 'start' | undefined)[] = [];
    // The first two subscriptions drop after 5 events each.
    const flaky: EventStore = Object.create(store) as EventStore;
    flaky.subscribeToAll = (options) => {
      subscriptions++;
      afters.push(options?.after);
      const inner = store.subscribeToAll(options);
      if (subscriptions > 2) return inner;
      return {
        stop: () => inner.stop(),
        async *[Symbol.asyncIterator]() {
          let n = 0;
          for await (const e of inner) {
            yield e;
            if (++n === 5) throw new Error('connection reset');
          }
        },
      } as AllSubscription;
    };
    fixture = readModelsIn(tmp.dir, store, { batchSize: 3, catchUpBatchSize: 3 });
    const runner = new (fixture.runner.constructor as typeof import('./projection-runner').ProjectionRunner)(flaky, fixture.database, [fixture.projection], {
      batchSize: 3,
      catchUpBatchSize: 3,
      batchWindowMs: 5,
      retryInitialMs: 10,
    });
    runner.start();
    try {
      await caughtUp(runner, store);
      expect(subscriptions).toBe(3);
      expect(afters[0]).toBe('start');
      // Each resubscription starts after the last committed batch (3 events per batch, a drop after 5):
      // the 2 events of the unfinished batch are dropped with it and delivered again.
      const log = await allEvents();
      expect(afters.slice(1)).toEqual([log[2].position, log[5].position]);
      expect(runner.lastError?.message).toMatch(/subscription dropped: connection reset/);
      expect(runner.state).toBe('live');
      // Every event applied exactly once: each row is at its stream's last event (a row moves only from the revision before an event's).
      const events = await allEvents();
      const ids = new Set(events.filter((e) => e.streamId.startsWith('contract-')).map((e) => contractIdOf(e.streamId)));
      expect(ids.size).toBeGreaterThan(0);
      for (const id of ids) {
        const last = events.filter((e) => e.streamId === contractStreamId(id)).at(-1) as RecordedEvent;
        expect(fixture.tables.row(id)).toMatchObject({ revision: Number(last.revision), position: String(last.position) });
      }
    } finally {
      await runner.stop();
    }
  });

  it('stop() ends the subscription and leaves the checkpoint where the last batch put it', async () => {
    await ledger.register('c-1');
    fixture = readModelsIn(tmp.dir, store);
    fixture.runner.start();
    await caughtUp(fixture.runner, store);
    await fixture.runner.stop();
    expect(fixture.runner.state).toBe('stopped');
    const { position } = await ledger.hire('c-1', 'p-1');
    await expect(fixture.runner.waitFor(position, 50)).resolves.toBe(false);
    expect(fixture.database.checkpoint('contracts')).toBe(position - 1n);
  });
});
