import { figuresOf, fold, isRegistered, type ContractStatus, type RegisteredContract } from '@sroi/domain';
import type { SqliteEventStore } from '@sroi/event-store';
import { toProblem } from '../platform/problem.filter';
import { ContractStates, type ContractSummary, type PortfolioQuery, type PortfolioSort } from './read-models';
import { ReadModelsBusyError, SqliteContractReadModels } from './sqlite-contract-read-models';
import { StreamContractStates } from './stream-contract-states';
import { Ledger, openStore, seedPortfolio, tempDir, toContractEvent, TODAY } from './testing/ledger';
import { caughtUp, readModelsIn, type ReadModelsFixture } from './testing/read-models.fixture';

let tmp: ReturnType<typeof tempDir>;
let store: SqliteEventStore;
let ledger: Ledger;
let fixture: ReadModelsFixture;

/** The oracle: the domain's figures over each contract's whole stream. */
async function expected(today = TODAY): Promise<{ state: RegisteredContract; figures: ContractStatus }[]> {
  const out = [];
  for (const id of ['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6']) {
    const history = await ledger.history(id);
    if (!history.length) continue;
    const state = fold(history.map(toContractEvent));
    if (!isRegistered(state)) throw new Error(id);
    out.push({ state, figures: figuresOf(state, today) });
  }
  return out;
}

const ids = (items: ContractSummary[]) => items.map((i) => i.contractId);
const page = (q: Partial<PortfolioQuery>, today = TODAY) => fixture.readModels.portfolio({ page: 1, pageSize: 50, ...q }, today);

beforeAll(async () => {
  tmp = tempDir();
  store = openStore(tmp.dir);
  ledger = new Ledger(store);
  await seedPortfolio(ledger);
  fixture = readModelsIn(tmp.dir, store);
  fixture.runner.start();
  await caughtUp(fixture.runner, store);
});

afterAll(async () => {
  await fixture.close();
  await store.close();
  tmp.remove();
});

describe('contract summary', () => {
  it('gives the figures as of the date asked, computed by the domain', async () => {
    for (const today of [TODAY, '2023-06-15', '2026-01-01']) {
      for (const { state, figures } of await expected(today)) {
        const summary = await fixture.readModels.summary(state.contractId, today);
        expect(summary).toEqual({
          contractId: state.contractId,
          municipality: state.municipality,
          title: state.title,
          tenderReference: state.tenderReference,
          contractor: state.contractor,
          catalogue: figures.catalogue,
          contractValueCents: figures.contractValueCents,
          sroiPercentage: 5,
          startDate: state.startDate,
          endDate: state.endDate,
          closed: state.status === 'closed',
          asOf: today,
          obligationCents: figures.obligationCents,
          realisedCents: figures.realisedCents,
          committedCents: figures.committedCents,
          verifiedCents: figures.verifiedCents,
          awaitingAgreement: figures.awaitingAgreement,
          status: figures.status,
          revision: state.seq - 1,
          position: expect.stringMatching(/^\d+$/),
          updatedAt: expect.stringMatching(/Z$/),
        });
        // Asked again the same day: read from the row's snapshot, same answer.
        expect(await fixture.readModels.summary(state.contractId, today)).toEqual(summary);
      }
    }
  });

  it('is null for an unknown contract and refuses a malformed date', async () => {
    expect(await fixture.readModels.summary('nope', TODAY)).toBeNull();
    await expect(fixture.readModels.summary('c-1', '2024-02-30')).rejects.toThrow();
  });

  it('shows the catalogue and value in force on the date (migration, value change)', async () => {
    expect((await fixture.readModels.summary('c-4', '2019-06-01'))?.catalogue).toEqual({ id: 'utrecht', version: '2015' });
    expect((await fixture.readModels.summary('c-4', TODAY))?.catalogue).toEqual({ id: 'utrecht', version: '2019' });
    expect((await fixture.readModels.summary('c-2', '2023-08-01'))?.contractValueCents).toBe(100_000_000);
    expect((await fixture.readModels.summary('c-2', TODAY))?.contractValueCents).toBe(150_000_000);
  });
});

describe('portfolio', () => {
  it('holds every status among the seeded contracts', async () => {
    const statuses = new Set((await expected()).map((e) => e.figures.status));
    expect([...statuses].sort()).toEqual(['behind', 'met', 'not-met', 'on-track']);
  });

  it('filters by municipality, contractor KvK and status, alone and together', async () => {
    const all = await expected();
    const want = (f: (e: (typeof all)[number]) => boolean) => all.filter(f).map((e) => e.state.contractId).sort();
    const got = async (q: Partial<PortfolioQuery>) => {
      const p = await page(q);
      expect(p.total).toBe(p.items.length);
      return ids(p.items).sort();
    };
    expect(await got({})).toEqual(want(() => true));
    expect(await got({ municipality: 'Utrecht' })).toEqual(want((e) => e.state.municipality === 'Utrecht'));
    expect(await got({ municipality: 'Amersfoort' })).toEqual(['c-3', 'c-5']);
    expect(await got({ contractorKvk: '11223344' })).toEqual(['c-3', 'c-4']);
    for (const status of ['on-track', 'behind', 'met', 'not-met'] as const) {
      expect(await got({ status })).toEqual(want((e) => e.figures.status === status));
    }
    expect(await got({ municipality: 'Utrecht', status: 'on-track' })).toEqual(['c-1']);
    expect(await got({ municipality: 'Utrecht', contractorKvk: '11223344' })).toEqual(['c-4']);
    expect(await got({ municipality: 'Den Haag' })).toEqual([]);
  });

  it.each<[PortfolioSort, (e: { state: RegisteredContract; figures: ContractStatus }) => string | number]>([
    ['title', (e) => e.state.title.toLowerCase()],
    ['startDate', (e) => e.state.startDate],
    ['endDate', (e) => e.state.endDate],
    ['obligationCents', (e) => e.figures.obligationCents],
    ['realisedCents', (e) => e.figures.realisedCents],
    ['progress', (e) => e.figures.realisedCents / e.figures.obligationCents],
  ])('sorts by %s, ascending and descending, ties by contract id', async (sort, key) => {
    const all = await expected();
    const asc = [...all].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.state.contractId < b.state.contractId ? -1 : 1)).map((e) => e.state.contractId);
    expect(ids((await page({ sort, order: 'asc' })).items)).toEqual(asc);
    expect(ids((await page({ sort, order: 'desc' })).items)).toEqual([...asc].reverse());
  });

  it('sorts by updatedAt (the last applied event)', async () => {
    const items = (await page({ sort: 'updatedAt', order: 'desc' })).items;
    expect(ids(items)).toEqual(['c-5', 'c-4', 'c-3', 'c-2', 'c-1']);
    expect(items.map((i) => i.updatedAt)).toEqual([...items.map((i) => i.updatedAt)].sort().reverse());
  });

  it('pages (1-based) with the total of the filter, and caps the page size at 200', async () => {
    const first = await page({ sort: 'title', pageSize: 2, page: 1 });
    const second = await page({ sort: 'title', pageSize: 2, page: 2 });
    const third = await page({ sort: 'title', pageSize: 2, page: 3 });
    expect([first.total, second.total, third.total]).toEqual([5, 5, 5]);
    expect([...ids(first.items), ...ids(second.items), ...ids(third.items)]).toEqual(ids((await page({ sort: 'title' })).items));
    expect(third.items).toHaveLength(1);
    expect((await page({ page: 4, pageSize: 2 })).items).toEqual([]);
    expect((await page({ pageSize: 1000 })).pageSize).toBe(200);
  });

  it('items are the summaries of the same date', async () => {
    for (const item of (await page({})).items) expect(item).toEqual(await fixture.readModels.summary(item.contractId, TODAY));
  });

  it('refreshes the snapshots for a new date, and after each change the projection applies', async () => {
    expect((await page({ status: 'not-met' })).total).toBe(1);
    // On 2025-06-01 c-2 is past its end date, and c-1 too.
    const later = await expected('2026-01-01');
    expect(ids((await page({ status: 'not-met' }, '2026-01-01')).items).sort()).toEqual(later.filter((e) => e.figures.status === 'not-met').map((e) => e.state.contractId).sort());
    // A purchase large enough to meet c-2's obligation moves it from 'behind' to 'met' at once.
    expect(ids((await page({ status: 'behind' })).items)).toEqual(['c-2']);
    const { position } = await ledger.purchase('c-2', 'k-3', 8_000_000, '2024-02-01');
    expect(await fixture.runner.waitFor(position, 5_000)).toBe(true);
    expect(ids((await page({ status: 'behind' })).items)).toEqual([]);
    expect((await page({ status: 'met', municipality: 'Utrecht' })).items.map((i) => i.contractId).sort()).toEqual(['c-2', 'c-4']);
    expect((await ledger.history('c-2')).length).toBe(((await fixture.readModels.summary('c-2', TODAY))?.revision ?? -1) + 1);
  });
});

describe('figures from the folded states (ContractStates)', () => {
  /** States read from the store, with a hook run before each read (the projection may move meanwhile). */
  class HookedStates extends ContractStates {
    reads = 0;
    constructor(private readonly before: (contractId: string) => Promise<void>) {
      super();
    }
    override peek(_contractId: string, _revision: number): RegisteredContract | undefined {
      return undefined;
    }
    override async stateAt(contractId: string, revision: number): Promise<RegisteredContract | null> {
      this.reads++;
      await this.before(contractId);
      return new StreamContractStates(store).stateAt(contractId, revision);
    }
  }

  it('uses a state at hand without awaiting the store, and only at the row’s revision', async () => {
    const row = fixture.tables.row('c-1');
    if (!row) throw new Error('no row');
    const state = fold((await ledger.history('c-1')).map(toContractEvent));
    if (!isRegistered(state)) throw new Error('not registered');
    const stale = { ...state, title: 'a state of another revision' };
    const states = new (class extends HookedStates {
      override peek(contractId: string, revision: number): RegisteredContract | undefined {
        return contractId === 'c-1' ? (revision === row.revision ? state : stale) : undefined;
      }
    })(async () => undefined);
    const readModels = new SqliteContractReadModels(fixture.tables, states);
    const summary = await readModels.summary('c-1', '2024-01-17');
    expect(summary).toMatchObject({ asOf: '2024-01-17', realisedCents: figuresOf(state, '2024-01-17').realisedCents });
    expect(states.reads).toBe(0);
  });

  it('computes the figures of the revision each row is at when a page is read, though rows move while states load', async () => {
    const moved: string[] = [];
    // While the first state loads, c-5 gets an event, which the projection applies before the load ends.
    const states = new HookedStates(async () => {
      if (moved.length > 0) return;
      moved.push('c-5');
      const { position } = await ledger.purchase('c-5', `k-moving-${Date.now()}`, 1_000_000, '2024-01-02');
      expect(await fixture.runner.waitFor(position, 5_000)).toBe(true);
    });
    const readModels = new SqliteContractReadModels(fixture.tables, states);
    const date = '2030-01-01'; // a date no snapshot is of yet
    const result = await readModels.portfolio({ page: 1, pageSize: 50 }, date);
    expect(moved).toEqual(['c-5']);
    const want = await expected(date);
    const byId = [...result.items].sort((a, b) => (a.contractId < b.contractId ? -1 : 1));
    expect(byId.map((i) => [i.contractId, i.revision, i.realisedCents, i.status])).toEqual(
      want.map((e) => [e.state.contractId, e.state.seq - 1, e.figures.realisedCents, e.figures.status]),
    );
    // c-5's state was read twice: at the revision it was listed at, then at the one it moved to.
    expect(states.reads).toBe(want.length + 1);
  });

  it('gives up with ReadModelsBusyError when rows move faster than their states load, and writes nothing', async () => {
    const states = new HookedStates(async (contractId) => {
      const { position } = await ledger.purchase(contractId, `k-busy-${Date.now()}-${Math.random()}`, 1_000);
      expect(await fixture.runner.waitFor(position, 5_000)).toBe(true);
    });
    const readModels = new SqliteContractReadModels(fixture.tables, states);
    const error: unknown = await readModels.summary('c-1', '2031-01-01').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadModelsBusyError);
    // What the caller gets: 503, the code, and when to ask again.
    expect(toProblem(error, { warn: () => undefined } as never)).toMatchObject({ body: { status: 503, code: 'read-models-busy' }, headers: { 'retry-after': '1' } });
    expect(states.reads).toBe(4); // MAX_ROUNDS - 1 loads, each outrun
    expect(fixture.tables.row('c-1')?.snapshot_as_of).toBeNull();
  });
});
