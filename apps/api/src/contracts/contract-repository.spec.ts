import { figuresOf, isRegistered, utrecht2019 } from '@sroi/domain';
import { SqliteEventStore, type AllSubscription, type EventStore } from '@sroi/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContractRepository } from './contract-repository';

const meta = { schemaVersion: 1, actor: { subject: 'test', role: 'advisor' }, correlationId: 'c', causationId: 'c', idempotencyKey: null, command: 'test' };
const registered = {
  type: 'ContractRegistered',
  data: {
    contractId: 'k-1',
    municipality: 'Utrecht',
    title: 'Repository test',
    tenderReference: 'R-1',
    contractor: { kvk: '12345678', name: 'Bouw BV' },
    contractValueCents: 100_000_000,
    sroiBasisPoints: 500,
    startDate: '2023-01-01',
    endDate: '2025-12-31',
    catalogue: utrecht2019,
    explicitVersion: false,
  },
  metadata: meta,
};
const valueChanged = (cents: number) => ({
  type: 'ContractValueChanged',
  data: { contractValueCents: cents, previousValueCents: 100_000_000, effectiveDate: '2023-06-01', reason: 'test' },
  metadata: meta,
});

/** A subscription that never delivers: the repository's watcher stays where it started. */
const stalled = (): AllSubscription => {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (stop = r));
  return {
    stop: async () => stop(),
    [Symbol.asyncIterator]: () => ({ next: async () => (await stopped, { done: true as const, value: undefined }) }),
  };
};

describe('ContractRepository freshness', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sroi-repository-'));
    store = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees every change even when its watcher lags: a little behind, one shared read of the log catches it up; far behind, the stream is read', async () => {
    await store.appendToStream('contract-k-1', [registered as never], { expectedRevision: 'no_stream' });
    const lagging: EventStore = Object.assign(Object.create(store) as EventStore, { subscribeToAll: stalled });
    const repository = new ContractRepository(lagging);
    await repository.onModuleInit();
    try {
      const value = async () => {
        await sleep(5); // past the head's reuse window (1 ms)
        const current = await repository.current('k-1');
        if (!current || !isRegistered(current.state)) throw new Error('not registered');
        return figuresOf(current.state, '2024-01-01').contractValueCents;
      };
      expect(await value()).toBe(100_000_000);
      await store.appendToStream('contract-k-1', [valueChanged(120_000_000) as never], { expectedRevision: 0n });
      expect(await value()).toBe(120_000_000);
      await store.appendToStream('noise', Array.from({ length: 700 }, (_, i) => ({ type: 'Noted', data: { i } })));
      await store.appendToStream('contract-k-1', [valueChanged(130_000_000) as never], { expectedRevision: 1n });
      expect(await value()).toBe(130_000_000);
      expect((await repository.current('k-1'))?.revision).toBe(2n);
    } finally {
      await repository.onModuleDestroy();
    }
  });

  it('gives the read side the state at a revision: the cached one at its own revision (no I/O), else folded from the stream', async () => {
    await store.appendToStream('contract-k-1', [registered as never, valueChanged(120_000_000) as never], { expectedRevision: 'no_stream' });
    let reads = 0;
    const counting: EventStore = Object.assign(Object.create(store) as EventStore, {
      readStream: (...args: Parameters<EventStore['readStream']>) => (reads++, store.readStream(...args)),
    });
    const repository = new ContractRepository(counting);
    await repository.onModuleInit();
    try {
      expect(repository.peek('k-1', 1)).toBeUndefined(); // nothing cached yet
      const current = await repository.current('k-1');
      expect(current?.revision).toBe(1n);
      reads = 0;
      expect(repository.peek('k-1', 1)).toBe(current?.state);
      expect(await repository.stateAt('k-1', 1)).toBe(current?.state);
      expect(reads).toBe(0);
      // Another revision is not the cached one: read and folded up to it.
      expect(repository.peek('k-1', 0)).toBeUndefined();
      const first = await repository.stateAt('k-1', 0);
      expect(reads).toBe(1);
      expect(first && figuresOf(first, '2024-01-01').contractValueCents).toBe(100_000_000);
      expect(first?.seq).toBe(1);
      // A revision the stream does not hold, or no stream at all.
      expect(await repository.stateAt('k-1', 5)).toBeNull();
      expect(await repository.stateAt('nope', 0)).toBeNull();
    } finally {
      await repository.onModuleDestroy();
    }
  });
});
