import type { RecordedEvent, SqliteEventStore } from '@sroi/event-store';
import type { PublicEventEnvelope } from '@sroi/integration-events';
import { join } from 'node:path';
import { dumpReadModels, ReadModelDatabase } from '../../projections/read-model-database';
import { rebuildReadModels } from '../../projections/rebuild';
import { Ledger, openStore, seedPortfolio, tempDir } from '../../projections/testing/ledger';
import { caughtUp as projectionsCaughtUp, readModelsIn, type ReadModelsFixture } from '../../projections/testing/read-models.fixture';
import { INTEGRATION_STREAM_PREFIX, integrationStream, municipalitySlug, publicEventStoreId } from '../integration-streams';
import { testMapper, type TestState } from '../testing/test-mapper';
import { IntegrationPublisher, type PublicEventMapper } from './integration-publisher';
import { INTEGRATION_FILE, PublisherCheckpoint } from './publisher-checkpoint';

let tmp: ReturnType<typeof tempDir>;
let store: SqliteEventStore;
let ledger: Ledger;
const running: Array<{ stop: () => Promise<void> }> = [];

beforeEach(() => {
  tmp = tempDir('sroi-publisher-');
  store = openStore(tmp.dir);
  ledger = new Ledger(store);
});

afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  await store.close();
  tmp.remove();
});

function publisher(options: { cacheSize?: number; batchSize?: number; catchUpBatchSize?: number; batchWindowMs?: number; mapper?: PublicEventMapper<unknown> } = {}): { publisher: IntegrationPublisher; checkpoint: PublisherCheckpoint } {
  const checkpoint = new PublisherCheckpoint(join(tmp.dir, INTEGRATION_FILE));
  const p = new IntegrationPublisher(store, checkpoint, options.mapper ?? (testMapper as PublicEventMapper<unknown>), { batchWindowMs: 2, retryInitialMs: 10, ...options });
  running.push({
    stop: async () => {
      await p.stop();
      checkpoint.close();
    },
  });
  return { publisher: p, checkpoint };
}

async function all(): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readAll()) out.push(e);
  return out;
}

/** Resolves once the publisher has handled every internal event up to the store's head at call time. */
async function published(p: IntegrationPublisher, timeoutMs = 10_000): Promise<void> {
  const internal = (await all()).filter((e) => !e.streamId.startsWith(INTEGRATION_STREAM_PREFIX));
  const target = internal[internal.length - 1].position;
  const started = Date.now();
  while ((p.lastPublishedPosition() ?? -1n) < target) {
    if (p.state === 'failed') throw new Error(`publisher failed: ${p.lastError?.message}`);
    if (Date.now() - started > timeoutMs) throw new Error('publisher did not catch up');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What the mapper yields for the whole log, by integration stream: the expected content (the events' ids in the store). */
async function expectedByStream(): Promise<Map<string, string[]>> {
  const states = new Map<string, TestState>();
  const out = new Map<string, string[]>();
  for (const e of await all()) {
    if (!e.streamId.startsWith('contract-')) continue;
    const r = testMapper(states.get(e.streamId), { streamId: e.streamId, id: e.id, position: String(e.position), recordedAt: e.recordedAt, event: { type: e.type, schemaVersion: 1, data: e.data } as never });
    states.set(e.streamId, r.state);
    for (const env of r.events) {
      const stream = integrationStream(env.municipality);
      out.set(stream, [...(out.get(stream) ?? []), publicEventStoreId(env.id, env.occurredAt)]);
    }
  }
  return out;
}

async function actualByStream(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const e of await all()) {
    if (!e.streamId.startsWith(INTEGRATION_STREAM_PREFIX)) continue;
    out.set(e.streamId, [...(out.get(e.streamId) ?? []), e.id]);
  }
  return out;
}

describe('IntegrationPublisher', () => {
  it('appends the public events of every contract event to its municipality stream, in global order, with their source in the metadata', async () => {
    await seedPortfolio(ledger);
    const { publisher: p } = publisher();
    p.start();
    await published(p);

    const expected = await expectedByStream();
    expect([...expected.keys()].sort()).toEqual(['integration-amersfoort', 'integration-utrecht']);
    expect(await actualByStream()).toEqual(expected);
    const events = (await all()).filter((e) => e.streamId.startsWith(INTEGRATION_STREAM_PREFIX));
    for (const e of events) {
      const envelope = e.data as unknown as PublicEventEnvelope;
      expect(e.id).toBe(publicEventStoreId(envelope.id, envelope.occurredAt));
      expect(e.id).not.toBe(envelope.id);
      expect(e.type).toBe(envelope.type);
      expect(e.metadata).toMatchObject({ schemaVersion: 1, sourcePosition: envelope.sourcePosition });
      expect(typeof e.metadata['causationId']).toBe('string');
    }
    // Within a stream, the sources follow the global order.
    const sources = events.filter((e) => e.streamId === 'integration-utrecht').map((e) => [BigInt(e.metadata['sourcePosition'] as string), e.metadata['sourceIndex'] as number] as const);
    for (let i = 1; i < sources.length; i++) {
      expect(sources[i][0] > sources[i - 1][0] || (sources[i][0] === sources[i - 1][0] && sources[i][1] > sources[i - 1][1])).toBe(true);
    }
    // Within a stream the store ids follow the sources' recording instants (time-ordered, as the store's own ids).
    for (const stream of expected.keys()) {
      const ids = events.filter((e) => e.streamId === stream).map((e) => e.id);
      expect(ids.length).toBeGreaterThan(1);
      expect(ids.map((id) => id.slice(0, 13))).toEqual(ids.map((id) => id.slice(0, 13)).sort());
    }
  });

  it('publishes live events after catching up, and never maps its own public events', async () => {
    await ledger.register('c-1');
    const { publisher: p } = publisher();
    p.start();
    await published(p);
    await ledger.purchase('c-1', 'k-1', 10_000);
    await ledger.purchase('c-1', 'k-2', 10_000);
    await published(p);
    expect(p.isCaughtUp()).toBe(true);
    expect(p.state).toBe('live');
    expect(await actualByStream()).toEqual(await expectedByStream());
  });

  it('once live, coalesces a slow trickle into one append, and starts a round at once when it holds batchSize events', async () => {
    await ledger.register('c-1');
    const { publisher: p } = publisher({ batchSize: 3, batchWindowMs: 1_000 });
    // per append to an integration stream: how many contract events its public events derive from
    const appends: number[] = [];
    const append = store.appendToStream.bind(store);
    store.appendToStream = (stream, events, options) => {
      if (stream.startsWith(INTEGRATION_STREAM_PREFIX)) appends.push(new Set(events.map((e) => e.metadata?.['sourcePosition'])).size);
      return append(stream, events, options);
    };
    p.start();
    await published(p);
    appends.length = 0;

    // Two purchases 50 ms apart: one round once the first one's window has passed, one append.
    for (let i = 0; i < 2; i++) {
      await ledger.purchase('c-1', `trickle-${i}`, 10_000);
      await new Promise((r) => setTimeout(r, 50));
    }
    await published(p);
    expect(appends).toEqual([2]);

    // A burst of four: a full round of three at once, then the fourth in a round of its own.
    for (let i = 0; i < 4; i++) await ledger.purchase('c-1', `burst-${i}`, 10_000);
    await published(p);
    expect(appends).toEqual([2, 3, 1]);
    expect(await actualByStream()).toEqual(await expectedByStream());
  });

  it('after a crash between its appends and its checkpoint, publishes nothing twice and loses nothing', async () => {
    await seedPortfolio(ledger);
    const first = publisher();
    first.publisher.start();
    await published(first.publisher);
    await first.publisher.stop();
    // The crash: the appends are in the store, the checkpoint is not (it is back at the start).
    first.checkpoint.save(0n);
    first.checkpoint.close();
    await ledger.purchase('c-1', 'k-late', 50_000);

    const second = publisher();
    expect(second.publisher.lastPublishedPosition()).toBe(0n);
    second.publisher.start();
    await published(second.publisher);
    expect(await actualByStream()).toEqual(await expectedByStream());
  });

  it('rebuilds a contract state it no longer holds by re-mapping the stream, with the same result', async () => {
    // Interleaved contracts and a cache of one: nearly every event misses.
    for (const id of ['a', 'b', 'c']) await ledger.register(id, { municipality: id === 'b' ? 'Amersfoort' : 'Utrecht' });
    for (let i = 0; i < 5; i++) for (const id of ['a', 'b', 'c']) await ledger.purchase(id, `k-${i}`, 1_000 + i);
    const { publisher: p } = publisher({ cacheSize: 1, batchSize: 4, catchUpBatchSize: 4 });
    p.start();
    await published(p);
    const expected = await expectedByStream();
    expect(await actualByStream()).toEqual(expected);
    // nth counts every event of its contract: a wrong state would repeat or skip a number.
    const nth = (await all())
      .filter((e) => e.streamId === 'integration-amersfoort' && e.type === 'contribution.recorded')
      .map((e) => (e.data as { data: { nth: number } }).data.nth);
    expect(nth).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('stops on an event it cannot map, names it, and keeps its checkpoint before it', async () => {
    await ledger.register('c-1');
    await ledger.purchase('c-1', 'k-1', 1_000);
    const failing: PublicEventMapper<unknown> = (state, source) => {
      if (source.event.type === 'PurchaseRecorded') throw new Error('no mapping for this');
      return testMapper(state as TestState | undefined, source);
    };
    const { publisher: p, checkpoint } = publisher({ mapper: failing });
    p.start();
    const started = Date.now();
    while (p.state !== 'failed' && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10));
    expect(p.state).toBe('failed');
    expect(p.lastError?.event).toMatchObject({ streamId: 'contract-c-1', revision: '1', type: 'PurchaseRecorded' });
    expect(checkpoint.load()).toBeNull();
  });

  it('names municipality streams by a stable slug', () => {
    expect(municipalitySlug('Utrecht')).toBe('utrecht');
    expect(municipalitySlug("  's-Hertogenbosch ")).toBe('s-hertogenbosch');
    expect(municipalitySlug('Súdwest-Fryslân')).toBe('sudwest-fryslan');
    expect(integrationStream('Den Haag')).toBe('integration-den-haag');
  });
});

describe('IntegrationLogProjection', () => {
  let fixture: ReadModelsFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it('indexes the public events by global position, filtered by municipality, type and contract, and wakes its readers', async () => {
    await seedPortfolio(ledger);
    const { publisher: p } = publisher();
    p.start();
    await published(p);
    fixture = readModelsIn(tmp.dir, store);
    let wakes = 0;
    fixture.integrationLog.onAppended(() => wakes++);
    fixture.runner.start();
    await projectionsCaughtUp(fixture.runner, store);

    const stored = (await all()).filter((e) => e.streamId.startsWith(INTEGRATION_STREAM_PREFIX));
    const log = fixture.integrationLog;
    const everything = log.read({ after: null, limit: 10_000 });
    expect(everything.map((e) => e.position)).toEqual(stored.map((e) => e.position));
    expect(everything.map((e) => JSON.parse(e.json))).toEqual(stored.map((e) => e.data));
    expect(log.lastPosition()).toBe(stored[stored.length - 1].position);
    expect(wakes).toBeGreaterThan(0);

    const utrecht = log.read({ after: null, municipality: ' UTRECHT', limit: 10_000 });
    expect(utrecht.map((e) => e.position)).toEqual(stored.filter((e) => e.streamId === 'integration-utrecht').map((e) => e.position));
    const paged = [...log.read({ after: null, municipality: 'Utrecht', limit: 3 }), ...log.read({ after: utrecht[2].position, municipality: 'Utrecht', limit: 10_000 })];
    expect(paged).toEqual(utrecht);
    const changes = log.read({ after: null, types: ['obligation.status-changed'], contractId: 'c-4', limit: 100 });
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((e) => e.type === 'obligation.status-changed' && e.contractId === 'c-4')).toBe(true);

    // A rebuild from position 0 gives the same log, row for row (it reads the streams, not the live order).
    const rebuiltFile = join(tmp.dir, 'rebuilt.sqlite');
    await rebuildReadModels(store, rebuiltFile);
    const rebuilt = new ReadModelDatabase(rebuiltFile);
    try {
      expect(dumpReadModels(rebuilt.db)).toEqual(dumpReadModels(fixture.database.db));
      expect(dumpReadModels(rebuilt.db)['integration_events']).toHaveLength(stored.length);
    } finally {
      rebuilt.close();
    }
  }, 60_000);
});
