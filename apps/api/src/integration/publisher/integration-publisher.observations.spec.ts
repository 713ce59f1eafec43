/**
 * The publisher with the real mapper on a real SQLite store: status observations of the
 * obligation streams become `obligation.status-changed` events in the municipality stream,
 * exactly once, in global order with the contract events, also when states are rebuilt.
 */
import { addDays, type ContractCommand } from '@sroi/domain';
import type { RecordedEvent, SqliteEventStore } from '@sroi/event-store';
import { amsterdamDateOf, PUBLIC_EVENT_SCHEMAS, type ObligationStatus, type PublicEventEnvelope } from '@sroi/integration-events';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { join } from 'node:path';
import { obligationStream } from '../../shared/event-codec';
import { Ledger, openStore, tempDir } from '../../projections/testing/ledger';
import { integrationMapper, integrationStateFold, publicEventId } from '../integration-mapper';
import { INTEGRATION_STREAM_PREFIX, integrationStream } from '../integration-streams';
import { observationEvent, observationId } from '../obligation-monitor/obligation-monitor';
import { IntegrationPublisher, type PublicEventMapper, type PublisherLogger, type SourceEvent, type StateFold } from './integration-publisher';
import { INTEGRATION_FILE, PublisherCheckpoint } from './publisher-checkpoint';

let tmp: ReturnType<typeof tempDir>;
let store: SqliteEventStore;
let ledger: Ledger;
const running: Array<{ stop: () => Promise<void> }> = [];
/** Contract events are recorded at the real instant: the periods are set around the real date. */
let base: string;

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validators = Object.fromEntries(Object.entries(PUBLIC_EVENT_SCHEMAS).map(([t, s]) => [t, ajv.compile(s)]));

beforeEach(() => {
  tmp = tempDir('sroi-publisher-obs-');
  store = openStore(tmp.dir);
  ledger = new Ledger(store);
  base = amsterdamDateOf(new Date().toISOString());
});

afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  await store.close();
  tmp.remove();
});

function publisher(options: { cacheSize?: number; batchSize?: number; catchUpBatchSize?: number; stateFold?: (state?: unknown) => StateFold; logger?: PublisherLogger } = {}): { publisher: IntegrationPublisher; checkpoint: PublisherCheckpoint } {
  const checkpoint = new PublisherCheckpoint(join(tmp.dir, INTEGRATION_FILE));
  const p = new IntegrationPublisher(store, checkpoint, integrationMapper as PublicEventMapper<unknown>, { batchWindowMs: 2, retryInitialMs: 10, ...options });
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

const observe = (contractId: string, asOf: string, status: ObligationStatus, revision: bigint | 'no_stream') =>
  store.appendToStream(obligationStream(contractId), [observationEvent(contractId, asOf, status, 'test')], { expectedRevision: revision });

/** What the mapper yields for the whole log folded in global order, per contract: the expected content of each municipality stream. */
async function expectedByStream(): Promise<Map<string, PublicEventEnvelope[]>> {
  const states = new Map<string, unknown>();
  const out = new Map<string, PublicEventEnvelope[]>();
  for (const e of await all()) {
    const prefix = ['contract-', 'obligation-'].find((p) => e.streamId.startsWith(p));
    if (!prefix) continue;
    const contractId = e.streamId.slice(prefix.length);
    const source = { streamId: e.streamId, id: e.id, position: String(e.position), recordedAt: e.recordedAt, event: { type: e.type, schemaVersion: 1, data: e.data } } as unknown as SourceEvent;
    const r = integrationMapper(states.get(contractId) as never, source);
    states.set(contractId, r.state);
    for (const env of r.events) {
      const stream = integrationStream(env.municipality);
      out.set(stream, [...(out.get(stream) ?? []), env]);
    }
  }
  return out;
}

async function actualByStream(): Promise<Map<string, PublicEventEnvelope[]>> {
  const out = new Map<string, PublicEventEnvelope[]>();
  for (const e of await all()) {
    if (!e.streamId.startsWith(INTEGRATION_STREAM_PREFIX)) continue;
    out.set(e.streamId, [...(out.get(e.streamId) ?? []), e.data as unknown as PublicEventEnvelope]);
  }
  return out;
}

const statusChanges = (events: PublicEventEnvelope[] | undefined, contractId: string) =>
  (events ?? []).filter((e) => e.type === 'obligation.status-changed' && e.contractId === contractId).map((e) => [e.data['from'], e.data['to'], e.data['asOf']]);

describe('IntegrationPublisher: status observations', () => {
  it('publishes an observation as obligation.status-changed in the municipality stream, exactly once across a restart', async () => {
    // Starts in 10 days: on track at its registration (today), behind once it runs, not met after its end.
    await ledger.register('c-1', { startDate: addDays(base, 10), endDate: addDays(base, 100) });
    const { position } = await observe('c-1', addDays(base, 15), 'behind', 'no_stream');

    const first = publisher();
    first.publisher.start();
    await published(first.publisher);
    const utrecht = (await actualByStream()).get('integration-utrecht') ?? [];
    expect(utrecht.map((e) => e.type)).toEqual(['contract.registered', 'obligation.status-changed', 'obligation.status-changed']);
    const changed = utrecht[2];
    expect(changed).toMatchObject({
      id: publicEventId(observationId('c-1', addDays(base, 15)), 0),
      sourcePosition: String(position),
      contractId: 'c-1',
      municipality: 'Utrecht',
      data: { from: 'on-track', to: 'behind', asOf: addDays(base, 15), figures: { realisedCents: 0, elapsedDays: 6 } },
    });
    for (const e of utrecht) expect(validators[e.type](e)).toBe(true);
    const stored = (await all()).filter((e) => e.streamId === 'integration-utrecht');
    expect(stored[2].metadata).toMatchObject({ sourcePosition: String(position), sourceIndex: 0, correlationId: 'test', causationId: observationId('c-1', addDays(base, 15)) });

    // A crash after the appends, before the checkpoint; then the end date passes.
    await first.publisher.stop();
    first.checkpoint.save(0n);
    first.checkpoint.close();
    running.splice(0);
    await observe('c-1', addDays(base, 101), 'not-met', 0n);

    const second = publisher();
    second.publisher.start();
    await published(second.publisher);
    const after = (await actualByStream()).get('integration-utrecht') ?? [];
    expect(new Set(after.map((e) => e.id)).size).toBe(after.length);
    expect(statusChanges(after, 'c-1')).toEqual([
      [null, 'on-track', base],
      ['on-track', 'behind', addDays(base, 15)],
      ['behind', 'not-met', addDays(base, 101)],
    ]);
    expect(await actualByStream()).toEqual(await expectedByStream());
  });

  it('publishes what the mapper computes, not what the observation claims; nothing when the status did not change', async () => {
    await ledger.register('c-1', { startDate: addDays(base, 10), endDate: addDays(base, 100) });
    await ledger.register('c-2', { startDate: addDays(base, -10), endDate: addDays(base, 100) });
    await ledger.purchase('c-2', 'k-1', 6_000_000, addDays(base, -5));
    await observe('c-1', addDays(base, 15), 'met', 'no_stream'); // it is behind
    await observe('c-2', addDays(base, 15), 'behind', 'no_stream'); // it is met, as before
    const { publisher: p } = publisher();
    p.start();
    await published(p);
    const utrecht = (await actualByStream()).get('integration-utrecht');
    expect(statusChanges(utrecht, 'c-1')).toEqual([
      [null, 'on-track', base],
      ['on-track', 'behind', addDays(base, 15)],
    ]);
    expect(statusChanges(utrecht, 'c-2').map(([, to]) => to)).toEqual(['behind', 'met']);
  });

  it.each([
    ['by mapping them again', undefined],
    ['with MapperStateFold (the service)', integrationStateFold()],
  ])('rebuilds a state it no longer holds from both streams, in global order, with the same result (%s)', async (_how, stateFold) => {
    // Interleaved contracts, observations between their events, a cache of one: nearly every event misses.
    for (const id of ['a', 'b', 'c']) await ledger.register(id, { municipality: id === 'b' ? 'Amersfoort' : 'Utrecht', startDate: addDays(base, 10), endDate: addDays(base, 100) });
    for (const id of ['a', 'b', 'c']) await observe(id, addDays(base, 15), 'behind', 'no_stream');
    // A purchase after the observation: its status change must start from the observed one.
    for (const id of ['a', 'b', 'c']) await ledger.purchase(id, 'k-1', 6_000_000, addDays(base, 12));
    for (const id of ['a', 'b', 'c']) await observe(id, addDays(base, 20), 'met', 0n);
    await ledger.execute('a', { type: 'CloseContract', data: { reason: 'klaar' } } as ContractCommand);
    const { publisher: p } = publisher({ cacheSize: 1, batchSize: 3, catchUpBatchSize: 3, stateFold });
    p.start();
    await published(p);
    const actual = await actualByStream();
    expect(actual).toEqual(await expectedByStream());
    expect(statusChanges(actual.get('integration-amersfoort'), 'b')).toEqual([
      [null, 'on-track', base],
      ['on-track', 'behind', addDays(base, 15)],
      // the purchase is recorded on `base`, before the contract starts: nothing realised yet
      ['behind', 'on-track', base],
      ['on-track', 'met', addDays(base, 20)],
    ]);
  });

  describe('warm-up at start', () => {
    /** Three contracts with observations between their events, published by a first publisher that then stops. */
    async function publishedHistory(): Promise<void> {
      for (const id of ['a', 'b', 'c']) await ledger.register(id, { municipality: id === 'b' ? 'Amersfoort' : 'Utrecht', startDate: addDays(base, 10), endDate: addDays(base, 100) });
      for (const id of ['a', 'b', 'c']) await observe(id, addDays(base, 15), 'behind', 'no_stream');
      for (const id of ['a', 'b', 'c']) await ledger.purchase(id, 'k-1', 6_000_000, addDays(base, 12));
      const first = publisher();
      first.publisher.start();
      await published(first.publisher);
      await first.publisher.stop();
      first.checkpoint.close();
    }

    /** A publisher on the saved checkpoint; resolves once its warm-up has logged how many states it cached. */
    async function warmedPublisher(cacheSize: number): Promise<{ p: IntegrationPublisher; cached: number }> {
      let report: (n: number) => void = () => undefined;
      const warmed = new Promise<number>((r) => (report = r));
      const logger: PublisherLogger = {
        log: (m) => {
          const n = /cached the mapper states of (\d+) contracts/.exec(m)?.[1];
          if (n !== undefined) report(Number(n));
        },
        warn: (m) => {
          throw new Error(`unexpected warning: ${m}`);
        },
        error: () => undefined,
      };
      const { publisher: p } = publisher({ cacheSize, stateFold: integrationStateFold(), logger });
      p.start();
      return { p, cached: await warmed };
    }

    /** Counts the reads of obligation streams: a cache miss reads the contract's (the ledger's commands read only contract streams). */
    function countStreamReads(): () => number {
      let reads = 0;
      const original = store.readStream.bind(store);
      store.readStream = (stream, options) => {
        if (stream.startsWith('obligation-')) reads++;
        return original(stream, options);
      };
      return () => reads;
    }

    it("caches every contract's state from the log, so the events after a restart map without reading a stream, to the same public events", async () => {
      await publishedHistory();
      const reads = countStreamReads();
      const { p, cached } = await warmedPublisher(100);
      expect(cached).toBe(3);
      for (const id of ['a', 'b', 'c']) await observe(id, addDays(base, 20), 'met', 0n);
      for (const id of ['a', 'b', 'c']) await ledger.purchase(id, 'k-2', 1_000_000, addDays(base, 13));
      await ledger.execute('a', { type: 'CloseContract', data: { reason: 'klaar' } } as ContractCommand);
      await published(p);
      expect(await actualByStream()).toEqual(await expectedByStream());
      expect(reads()).toBe(0);
    });

    it('holds no more states than the cache: the contracts changed last', async () => {
      await publishedHistory();
      const reads = countStreamReads();
      const { p, cached } = await warmedPublisher(2);
      expect(cached).toBe(2);
      // 'c' changed last and 'b' before it: cached; 'a' was left out and misses once
      await ledger.purchase('c', 'k-2', 1_000_000, addDays(base, 13));
      await ledger.purchase('b', 'k-2', 1_000_000, addDays(base, 13));
      await published(p);
      expect(reads()).toBe(0);
      await ledger.purchase('a', 'k-2', 1_000_000, addDays(base, 13));
      await published(p);
      expect(reads()).toBeGreaterThan(0);
      expect(await actualByStream()).toEqual(await expectedByStream());
    });
  });
});
