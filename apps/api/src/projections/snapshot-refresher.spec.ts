import type { SqliteEventStore } from '@sroi/event-store';
import { SnapshotRefresher } from './snapshot-refresher';
import { Ledger, openStore, seedPortfolio, tempDir, TODAY } from './testing/ledger';
import { caughtUp, eventually, readModelsIn, type ReadModelsFixture } from './testing/read-models.fixture';

let tmp: ReturnType<typeof tempDir>;
let store: SqliteEventStore;
let fixture: ReadModelsFixture;

const snapshotDates = () =>
  (fixture.database.db.prepare('SELECT snapshot_as_of AS d FROM contracts ORDER BY contract_id').all() as { d: string | null }[]).map((r) => r.d);

beforeEach(async () => {
  tmp = tempDir();
  store = openStore(tmp.dir);
  await seedPortfolio(new Ledger(store));
  fixture = readModelsIn(tmp.dir, store);
  fixture.runner.start();
  await caughtUp(fixture.runner, store);
});

afterEach(async () => {
  await fixture.close();
  await store.close();
  tmp.remove();
});

describe('SnapshotRefresher', () => {
  it('refreshes every stale snapshot at start, in chunks, and again when the date changes', async () => {
    let today = TODAY;
    const spy = jest.spyOn(fixture.readModels, 'refreshSnapshots');
    const refresher = new SnapshotRefresher(fixture.readModels, () => today, { chunkSize: 2, checkIntervalMs: 60_000 });
    expect(snapshotDates().every((d) => d === null)).toBe(true);
    refresher.start();
    await refresher.tick();
    expect(snapshotDates()).toEqual(Array(5).fill(TODAY));
    // 5 contracts in chunks of 2: 2 + 2 + 1.
    expect(await Promise.all(spy.mock.results.map((r) => r.value as Promise<number>))).toEqual([2, 2, 1]);
    // Same date: nothing to do.
    await refresher.tick();
    expect(spy).toHaveBeenCalledTimes(3);
    // The figures it stored are the ones a query computes.
    const summaries = await Promise.all(['c-1', 'c-2', 'c-3', 'c-4', 'c-5'].map((id) => fixture.readModels.summary(id, TODAY)));
    expect(summaries.map((s) => s?.asOf)).toEqual(Array(5).fill(TODAY));

    today = '2024-07-01';
    await refresher.tick();
    expect(snapshotDates()).toEqual(Array(5).fill('2024-07-01'));
    await refresher.stop();
  });

  it('waits until it is ready (the projections caught up), trying again every retryMs', async () => {
    let ready = false;
    const refresher = new SnapshotRefresher(fixture.readModels, () => TODAY, { ready: () => ready, retryMs: 5 });
    refresher.start();
    await new Promise((r) => setTimeout(r, 30));
    expect(snapshotDates().every((d) => d === null)).toBe(true);
    ready = true;
    await eventually(() => snapshotDates().every((d) => d === TODAY));
    await refresher.stop();
  });

  it('stops between chunks, and a query still refreshes what is left', async () => {
    const refresher = new SnapshotRefresher(fixture.readModels, () => TODAY, { chunkSize: 1 });
    refresher.start();
    await refresher.stop();
    const done = snapshotDates().filter((d) => d === TODAY).length;
    expect(done).toBeLessThan(5);
    expect((await fixture.readModels.portfolio({ page: 1, pageSize: 10 }, TODAY)).items.map((i) => i.asOf)).toEqual(Array(5).fill(TODAY));
  });
});
