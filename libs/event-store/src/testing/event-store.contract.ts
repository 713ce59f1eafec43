/**
 * The contract every engine of the event store keeps, as one jest suite parameterised over
 * engines. An engine's spec calls `describeEventStoreContract` with a harness that opens stores.
 *
 * Tests isolate themselves by stream-id prefix rather than by a fresh store, so the same suite
 * runs against a shared EventStoreDB server whose $all also holds other runs' events.
 */
import { randomUUID } from 'node:crypto';
import type { EventStoreConfig } from '../config';
import {
  EventStoreError,
  InvalidAppendError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../errors';
import type { EventData, EventStore, RecordedEvent } from '../port';
import type { WorkerReport } from './append-worker';
import { releaseWorkers, startWorker } from './worker-process';

export interface EventStoreHarness {
  /** Opens the store under test (a new instance on the same underlying store each call). */
  open(): Promise<EventStore>;
  /** How a separate process reaches the same store. */
  config(): EventStoreConfig;
  /** Engine-specific soundness check after a crash (SQLite: `PRAGMA integrity_check`). */
  integrityCheck?(): Promise<string>;
  /** Whether global positions are consecutive integers (SQLite) or byte offsets (EventStoreDB). */
  consecutivePositions: boolean;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The fields of the port, as a plain object: an engine's events may expose some of them through
 * getters (SQLite parses the data on first use), which `toEqual` does not compare.
 */
export function portFields(e: RecordedEvent): RecordedEvent {
  return { streamId: e.streamId, revision: e.revision, position: e.position, id: e.id, type: e.type, data: e.data, metadata: e.metadata, recordedAt: e.recordedAt };
}

export function describeEventStoreContract(engine: string, harness: EventStoreHarness): void {
  describe(`event store contract: ${engine}`, () => {
    let store: EventStore;
    let prefix: string;
    const stream = (name: string) => `${prefix}${name}`;
    const event = (type: string, data: EventData['data'] = {}, extra: Partial<EventData> = {}): EventData => ({
      type,
      data,
      ...extra,
    });

    beforeEach(async () => {
      store = await harness.open();
      prefix = `contract-${randomUUID().slice(0, 8)}-`;
    });
    afterEach(async () => {
      await store.close();
    });

    async function expectError<E extends EventStoreError>(
      promise: Promise<unknown>,
      type: new (...args: never[]) => E,
    ): Promise<E> {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(type);
      return error as E;
    }

    async function readAllOf(after: bigint | 'start' = 'start', eventTypes?: string[]): Promise<RecordedEvent[]> {
      const events: RecordedEvent[] = [];
      for await (const e of store.readAll({ after, filter: { streamPrefixes: [prefix], eventTypes } })) events.push(e);
      return events;
    }

    describe('append', () => {
      it('records every field: stream, revision, position, id, type, data, metadata, instant', async () => {
        const before = Date.now();
        const id = randomUUID();
        const result = await store.appendToStream(
          stream('a'),
          [event('ContractRegistered', { valueCents: 100_000_00, nested: { list: [1, 'two', null] } }, {
            id,
            metadata: { actor: 'advisor-1', correlationId: 'c-1' },
          })],
          { expectedRevision: 'no_stream' },
        );
        const after = Date.now();
        expect(result.nextExpectedRevision).toBe(0n);
        expect(typeof result.position).toBe('bigint');

        const [recorded] = await store.readStream(stream('a'));
        expect(portFields(recorded)).toEqual({
          streamId: stream('a'),
          revision: 0n,
          position: result.position,
          id,
          type: 'ContractRegistered',
          data: { valueCents: 100_000_00, nested: { list: [1, 'two', null] } },
          metadata: { actor: 'advisor-1', correlationId: 'c-1' },
          recordedAt: expect.stringMatching(ISO_UTC),
        });
        // An engine that holds the data as text may hand it over; it is then the data's JSON.
        if (recorded.dataJson !== undefined) expect(JSON.parse(recorded.dataJson)).toEqual(recorded.data);
        const recordedAt = Date.parse(recorded.recordedAt);
        expect(recordedAt).toBeGreaterThanOrEqual(before - 1000);
        expect(recordedAt).toBeLessThanOrEqual(after + 1000);
      });

      it('gives events without an id a time-ordered UUIDv7, and empty metadata as {}', async () => {
        await store.appendToStream(stream('a'), [event('A'), event('B')]);
        const events = await store.readStream(stream('a'));
        expect(events.map((e) => e.id)).toEqual([expect.stringMatching(UUID_V7), expect.stringMatching(UUID_V7)]);
        expect(events[0].id < events[1].id).toBe(true);
        expect(events[0].metadata).toEqual({});
      });

      it('appends a batch atomically with consecutive revisions and increasing positions', async () => {
        await store.appendToStream(stream('a'), [event('A')]);
        const result = await store.appendToStream(stream('a'), [event('B'), event('C'), event('D')], {
          expectedRevision: 0n,
        });
        expect(result.nextExpectedRevision).toBe(3n);
        const events = await store.readStream(stream('a'));
        expect(events.map((e) => [e.type, e.revision])).toEqual([
          ['A', 0n],
          ['B', 1n],
          ['C', 2n],
          ['D', 3n],
        ]);
        for (let i = 1; i < events.length; i++) expect(events[i].position).toBeGreaterThan(events[i - 1].position);
        expect(events[3].position).toBe(result.position);
      });

      it("accepts 'any' on a new and on an existing stream", async () => {
        expect((await store.appendToStream(stream('a'), [event('A')], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
        expect((await store.appendToStream(stream('a'), [event('B')])).nextExpectedRevision).toBe(1n);
      });

      it("refuses 'no_stream' on an existing stream, naming expected and actual", async () => {
        await store.appendToStream(stream('a'), [event('A'), event('B')]);
        const error = await expectError(
          store.appendToStream(stream('a'), [event('C')], { expectedRevision: 'no_stream' }),
          WrongExpectedVersionError,
        );
        expect(error).toMatchObject({ streamId: stream('a'), expected: 'no_stream', actual: 1n, code: 'wrong-expected-version' });
        expect(error.message).toContain(stream('a'));
      });

      it("refuses 'stream_exists' on a missing stream and accepts it on an existing one", async () => {
        const error = await expectError(
          store.appendToStream(stream('a'), [event('A')], { expectedRevision: 'stream_exists' }),
          WrongExpectedVersionError,
        );
        expect(error).toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });
        await store.appendToStream(stream('a'), [event('A')]);
        const result = await store.appendToStream(stream('a'), [event('B')], { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(1n);
      });

      it('accepts the exact current revision and refuses a stale or a future one', async () => {
        await store.appendToStream(stream('a'), [event('A'), event('B')]);
        await expect(store.appendToStream(stream('a'), [event('C')], { expectedRevision: 1n })).resolves.toMatchObject({
          nextExpectedRevision: 2n,
        });
        const stale = await expectError(
          store.appendToStream(stream('a'), [event('D')], { expectedRevision: 1n }),
          WrongExpectedVersionError,
        );
        expect(stale).toMatchObject({ expected: 1n, actual: 2n });
        const future = await expectError(
          store.appendToStream(stream('a'), [event('D')], { expectedRevision: 7n }),
          WrongExpectedVersionError,
        );
        expect(future).toMatchObject({ expected: 7n, actual: 2n });
        const missing = await expectError(
          store.appendToStream(stream('b'), [event('D')], { expectedRevision: 0n }),
          WrongExpectedVersionError,
        );
        expect(missing).toMatchObject({ expected: 0n, actual: 'no_stream' });
        expect(await store.readStream(stream('a'))).toHaveLength(3);
      });

      it('answers a retried append (same ids, same expectation) without writing twice', async () => {
        const ids = [randomUUID(), randomUUID()];
        const batch = ids.map((id, i) => event('E', { i }, { id }));
        const first = await store.appendToStream(stream('a'), batch, { expectedRevision: 'no_stream' });
        const retry = await store.appendToStream(stream('a'), batch, { expectedRevision: 'no_stream' });
        expect(retry).toEqual(first);

        const next = [event('F', {}, { id: randomUUID() })];
        const second = await store.appendToStream(stream('a'), next, { expectedRevision: 1n });
        await expect(store.appendToStream(stream('a'), next, { expectedRevision: 1n })).resolves.toEqual(second);
        await expect(store.appendToStream(stream('a'), next, { expectedRevision: 'any' })).resolves.toEqual(second);

        const events = await store.readStream(stream('a'));
        expect(events.map((e) => e.id)).toEqual([...ids, next[0].id]);
        expect(await readAllOf()).toHaveLength(3);
      });

      it('refuses a retry whose expectation does not fit where its events were written', async () => {
        const id = randomUUID();
        await store.appendToStream(stream('a'), [event('E', {}, { id })], { expectedRevision: 'no_stream' });
        await store.appendToStream(stream('a'), [event('F')]);
        await expectError(
          store.appendToStream(stream('a'), [event('E', {}, { id })], { expectedRevision: 5n }),
          WrongExpectedVersionError,
        );
        expect(await store.readStream(stream('a'))).toHaveLength(2);
      });

      it('keeps concurrent appends of one process apart: one winner per revision, every batch whole', async () => {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.appendToStream(stream('race'), [event('Claimed', { i })], { expectedRevision: 'no_stream' }),
          ),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(refused).toHaveLength(9);
        for (const r of refused) expect(r.reason).toBeInstanceOf(WrongExpectedVersionError);

        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            store.appendToStream(stream(`many-${i % 10}`), [event('One', { i }), event('Two', { i })]),
          ),
        );
        expect(new Set(results.map((r) => r.position)).size).toBe(30);
        for (let s = 0; s < 10; s++) {
          const events = await store.readStream(stream(`many-${s}`));
          expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
          for (let k = 0; k < 6; k += 2) {
            expect(events[k].type).toBe('One');
            expect(events[k + 1]).toMatchObject({ type: 'Two', data: events[k].data });
          }
        }
      });

      it('refuses an empty append, an empty stream id and a malformed event id', async () => {
        await expectError(store.appendToStream(stream('a'), []), InvalidAppendError);
        await expectError(store.appendToStream('', [event('A')]), InvalidAppendError);
        // a system event type: EventStoreDB would leave it out of $all, SQLite not
        await expectError(store.appendToStream(stream('a'), [event('$metadata')]), InvalidAppendError);
        await expectError(store.appendToStream(stream('a'), [event('A', {}, { id: 'not-a-uuid' })]), InvalidAppendError);
        await expectError(store.readStream(stream('a')), StreamNotFoundError);
      });
    });

    describe('reading a stream', () => {
      beforeEach(async () => {
        await store.appendToStream(stream('s'), ['E0', 'E1', 'E2', 'E3', 'E4'].map((t) => event(t)));
        await store.appendToStream(stream('other'), [event('X')]);
      });
      const types = (events: RecordedEvent[]) => events.map((e) => e.type);

      it('reads forwards, from a revision, with a limit', async () => {
        expect(types(await store.readStream(stream('s')))).toEqual(['E0', 'E1', 'E2', 'E3', 'E4']);
        expect(types(await store.readStream(stream('s'), { fromRevision: 2n }))).toEqual(['E2', 'E3', 'E4']);
        expect(types(await store.readStream(stream('s'), { fromRevision: 1n, maxCount: 2 }))).toEqual(['E1', 'E2']);
        expect(await store.readStream(stream('s'), { fromRevision: 9n })).toEqual([]);
      });

      it('reads backwards, from the end or a revision, with a limit', async () => {
        expect(types(await store.readStream(stream('s'), { direction: 'backwards' }))).toEqual(['E4', 'E3', 'E2', 'E1', 'E0']);
        expect(types(await store.readStream(stream('s'), { direction: 'backwards', maxCount: 2 }))).toEqual(['E4', 'E3']);
        expect(types(await store.readStream(stream('s'), { direction: 'backwards', fromRevision: 2n }))).toEqual([
          'E2',
          'E1',
          'E0',
        ]);
        // backwards from the start (inclusive): the first event alone
        expect(types(await store.readStream(stream('s'), { direction: 'backwards', fromRevision: 'start' }))).toEqual(['E0']);
      });

      it('refuses a negative limit instead of reading the whole stream', async () => {
        await expect(store.readStream(stream('s'), { maxCount: -1 })).rejects.toThrow(RangeError);
        expect(await store.readStream(stream('s'), { maxCount: 0 })).toEqual([]);
      });

      it('says explicitly that a stream does not exist', async () => {
        const error = await expectError(store.readStream(stream('missing')), StreamNotFoundError);
        expect(error).toMatchObject({ streamId: stream('missing'), code: 'stream-not-found' });
      });
    });

    describe('reading $all', () => {
      it('reads forwards in position order, after a checkpoint, with a limit', async () => {
        await store.appendToStream(stream('a'), [event('A1'), event('A2')]);
        await store.appendToStream(stream('b'), [event('B1')]);
        await store.appendToStream(stream('a'), [event('A3')]);
        const all = await readAllOf();
        expect(all.map((e) => e.type)).toEqual(['A1', 'A2', 'B1', 'A3']);
        for (let i = 1; i < all.length; i++) expect(all[i].position).toBeGreaterThan(all[i - 1].position);

        expect((await readAllOf(all[1].position)).map((e) => e.type)).toEqual(['B1', 'A3']);
        const limited: string[] = [];
        for await (const e of store.readAll({ after: all[0].position, maxCount: 2, filter: { streamPrefixes: [prefix] } })) {
          limited.push(e.type);
        }
        expect(limited).toEqual(['A2', 'B1']);
      });

      it('filters by stream prefix and by event type', async () => {
        await store.appendToStream(stream('contract-1'), [event('Hired'), event('Purchased')]);
        await store.appendToStream(stream('catalogue-1'), [event('Published')]);
        await store.appendToStream(stream('contract-2'), [event('Hired')]);
        const contracts: string[] = [];
        for await (const e of store.readAll({ filter: { streamPrefixes: [stream('contract-')] } })) contracts.push(`${e.streamId}:${e.type}`);
        expect(contracts).toEqual([`${stream('contract-1')}:Hired`, `${stream('contract-1')}:Purchased`, `${stream('contract-2')}:Hired`]);
        expect((await readAllOf('start', ['Hired', 'Published'])).map((e) => e.type)).toEqual(['Hired', 'Published', 'Hired']);
        // an empty list keeps nothing (none of no prefixes or types matches); an absent one keeps all
        const none: RecordedEvent[] = [];
        for await (const e of store.readAll({ filter: { streamPrefixes: [] } })) none.push(e);
        for await (const e of store.readAll({ filter: { streamPrefixes: [stream('contract-')], eventTypes: [] } })) none.push(e);
        expect(none).toEqual([]);
      });

      it('reports the head position of the log', async () => {
        const { position } = await store.appendToStream(stream('a'), [event('A')]);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(position);
      });
    });

    describe('catch-up subscription to $all', () => {
      it('delivers history, then live events, with no gap and no duplicate at the hand-over', async () => {
        for (let i = 0; i < 25; i++) await store.appendToStream(stream(`h${i % 3}`), [event('History', { i })]);
        const subscription = store.subscribeToAll({ filter: { streamPrefixes: [prefix] } });
        const received: RecordedEvent[] = [];
        const consumed = (async () => {
          for await (const e of subscription) {
            received.push(e);
            if (received.length === 25) {
              // Live appends land while the reader is at the hand-over.
              for (let i = 0; i < 25; i++) void store.appendToStream(stream(`l${i % 3}`), [event('Live', { i })]);
            }
            if (received.length === 50) await subscription.stop();
          }
        })();
        await consumed;
        expect(received.map((e) => e.type)).toEqual([...Array(25).fill('History'), ...Array(25).fill('Live')]);
        const positions = received.map((e) => e.position);
        for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]);
        expect(received.map((e) => e.id)).toEqual((await readAllOf()).map((e) => e.id));
      });

      it('resumes strictly after a checkpoint', async () => {
        await store.appendToStream(stream('a'), [event('A'), event('B'), event('C')]);
        const [, second] = await readAllOf();
        const subscription = store.subscribeToAll({ after: second.position, filter: { streamPrefixes: [prefix] } });
        const types: string[] = [];
        for await (const e of subscription) {
          types.push(e.type);
          break;
        }
        expect(types).toEqual(['C']);
      });

      it('can be stopped while waiting for live events', async () => {
        const subscription = store.subscribeToAll({ filter: { streamPrefixes: [prefix] } });
        const received: RecordedEvent[] = [];
        const consumed = (async () => {
          for await (const e of subscription) received.push(e);
        })();
        await store.appendToStream(stream('a'), [event('A')]);
        await waitFor(() => received.length === 1);
        await subscription.stop();
        await expect(consumed).resolves.toBeUndefined();
        await store.appendToStream(stream('a'), [event('B')]);
        expect(received.map((e) => e.type)).toEqual(['A']);
      });
    });

    describe('several processes', () => {
      it('concurrent appenders on one stream: exactly one wins per revision, the others get WrongExpectedVersion', async () => {
        const streamId = stream('race');
        const workers = ['w1', 'w2', 'w3', 'w4'].map((worker) => startWorker({ mode: 'race', config: harness.config(), streamId, attempts: 25, worker }));
        await releaseWorkers(workers);
        await Promise.all(workers.map((w) => w.exited));
        const reports = workers.flatMap((w) => w.reports).filter((r) => r.kind !== 'ready');
        expect(reports.filter((r) => r.kind === 'failed')).toEqual([]);
        for (const w of workers) expect(w.stderr()).toBe('');

        const wins = reports.filter((r): r is Extract<WorkerReport, { kind: 'won' }> => r.kind === 'won');
        const losses = reports.filter((r): r is Extract<WorkerReport, { kind: 'lost' }> => r.kind === 'lost');
        expect(wins.length + losses.length).toBe(100);
        const events = await store.readStream(streamId);
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
        expect(wins.map((w) => BigInt(w.revision)).sort(compareBigints)).toEqual(events.map((e) => e.revision));
        for (const e of events) {
          const winner = wins.find((w) => BigInt(w.revision) === e.revision);
          expect((e.data as { worker: string }).worker).toBe(winner?.worker);
        }
        expect(losses.length).toBeGreaterThan(0); // four processes racing for every revision
        for (const loss of losses) expect(loss.actual).not.toBe(loss.expected);
      }, 60_000);

      it('a reader tailing $all while several processes append sees every event once, in strictly increasing positions', async () => {
        const subscription = store.subscribeToAll({ filter: { streamPrefixes: [prefix] } });
        const received: RecordedEvent[] = [];
        const expectedCount = 3 * 150 * 2; // appends of 1, 2 and 3 events: 2 on average
        const consumed = (async () => {
          for await (const e of subscription) {
            received.push(e);
            if (received.length >= expectedCount) break;
          }
        })();
        const startAt = Date.now() + 1500;
        const writers = ['w1', 'w2', 'w3'].map((worker) =>
          startWorker({ mode: 'loop', config: harness.config(), streamPrefix: prefix, streams: 5, appends: 150, worker, startAt }),
        );
        const exits = await Promise.all(writers.map((w) => w.exited));
        expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
        const giveUp = setTimeout(() => void subscription.stop(), 30_000);
        await consumed;
        clearTimeout(giveUp);

        const acked = writers.flatMap((w) => w.reports).flatMap((r) => (r.kind === 'ack' ? r.ids : []));
        expect(acked).toHaveLength(expectedCount);
        expect(received).toHaveLength(expectedCount);
        const positions = received.map((e) => e.position);
        for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]);
        expect(new Set(received.map((e) => e.id))).toEqual(new Set(acked));
        // What the live reader saw is exactly the log as read afterwards: no gap was filled in later.
        expect(received.map((e) => e.id)).toEqual((await readAllOf()).map((e) => e.id));
      }, 90_000);

      it('an appender killed with SIGKILL at random moments loses no acknowledged append and leaves no gap', async () => {
        const acked: Extract<WorkerReport, { kind: 'ack' }>[] = [];
        const kills = 12;
        for (let round = 0; round < kills; round++) {
          const worker = startWorker({
            mode: 'loop',
            config: harness.config(),
            streamPrefix: prefix,
            streams: 4,
            appends: null,
            worker: `r${round}`,
          });
          // Let it start (about half a second) and append for a random while, then kill it mid-loop.
          await waitFor(() => worker.reports.length > 0 || worker.child.exitCode !== null, 20_000);
          await sleep(Math.floor(Math.random() * 150));
          worker.child.kill('SIGKILL');
          const exit = await worker.exited;
          expect(exit.signal).toBe('SIGKILL');
          acked.push(...worker.reports.filter((r): r is Extract<WorkerReport, { kind: 'ack' }> => r.kind === 'ack'));
        }
        expect(acked.length).toBeGreaterThan(kills);

        const all = await readAllOf();
        const byId = new Map(all.map((e) => [e.id, e]));
        for (const ack of acked) {
          ack.ids.forEach((id, i) => {
            const recorded = byId.get(id);
            expect(recorded?.streamId).toBe(ack.streamId);
            expect(recorded?.revision).toBe(BigInt(ack.revision) - BigInt(ack.ids.length - 1 - i));
          });
          expect(byId.get(ack.ids[ack.ids.length - 1])?.position).toBe(BigInt(ack.position));
        }
        // Per stream, revisions run 0..n with no hole; every append is whole (atomic).
        const streams = new Set(all.map((e) => e.streamId));
        for (const id of streams) {
          const events = await store.readStream(id);
          expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
          const appends = new Map<number, number[]>();
          for (const e of events) {
            const { append, index } = e.data as { append: number; index: number };
            appends.set(append, [...(appends.get(append) ?? []), index]);
          }
          for (const [append, indexes] of appends) expect(indexes).toEqual(Array.from({ length: 1 + (append % 3) }, (_, k) => k));
        }
        if (harness.consecutivePositions) {
          const head = await store.headPosition();
          const everything: bigint[] = [];
          for await (const e of store.readAll()) everything.push(e.position);
          expect(everything).toEqual(everything.map((_, i) => BigInt(i + 1)));
          expect(head).toBe(BigInt(everything.length));
        }
        if (harness.integrityCheck) expect(await harness.integrityCheck()).toBe('ok');
      }, 120_000);
    });
  });
}

function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await sleep(5);
  }
}
