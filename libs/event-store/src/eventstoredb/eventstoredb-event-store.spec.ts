import { EventStoreDBClient } from '@eventstore/db-client';
import { createServer, type Server, type Socket } from 'node:net';
import {
  EventStoreUnavailableError,
  InvalidAppendError,
  StreamNotFoundError,
  SubscriptionDroppedError,
} from '../errors';
import type { RecordedEvent } from '../port';
import { EventStoreDbEventStore, probeEventStoreDb } from './eventstoredb-event-store';
import { FakeStreamsServer } from './fake-streams-server';

/** A loopback port with nothing listening: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('EventStoreDbEventStore against a refused connection (real client, no server)', () => {
  let store: EventStoreDbEventStore;
  let connectionString: string;

  beforeEach(async () => {
    connectionString = `esdb://127.0.0.1:${await closedPort()}?tls=false`;
    store = new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), {
      subscriptionRetry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    });
  });

  afterEach(async () => {
    await store.close();
  });

  it('is the eventstoredb engine', () => {
    expect(store.engine).toBe('eventstoredb');
  });

  it('fails an append quickly with EventStoreUnavailableError (gRPC code 14)', async () => {
    const started = Date.now();
    const error = await store.appendToStream('obligation-1', [{ type: 'T', data: {} }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect((error as EventStoreUnavailableError).code).toBe('event-store-unavailable');
    expect(((error as Error).cause as { code?: number }).code).toBe(14);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails reads with EventStoreUnavailableError', async () => {
    await expect(store.readStream('obligation-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(collect(store.readAll())).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });

  it('refuses invalid appends before going to the network', async () => {
    await expect(store.appendToStream('', [{ type: 'T', data: {} }])).rejects.toBeInstanceOf(InvalidAppendError);
    await expect(store.appendToStream('$system', [{ type: 'T', data: {} }])).rejects.toBeInstanceOf(InvalidAppendError);
    await expect(store.appendToStream('s', [])).rejects.toBeInstanceOf(InvalidAppendError);
    await expect(store.appendToStream('s', [{ id: 'nope', type: 'T', data: {} }])).rejects.toBeInstanceOf(
      InvalidAppendError,
    );
  });

  it('drops a subscription visibly once its resubscriptions are exhausted', async () => {
    const error = await collect(store.subscribeToAll()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionDroppedError);
    expect((error as Error).message).toMatch(/after 2 resubscription attempts/);
    expect((error as Error).cause).toBeInstanceOf(EventStoreUnavailableError);
  });

  it('ends a subscription normally when stopped while it waits to resubscribe', async () => {
    const slow = new EventStoreDbEventStore(connectionString, {
      subscriptionRetry: { maxAttempts: 10, initialDelayMs: 5_000, maxDelayMs: 5_000 },
    });
    const subscription = slow.subscribeToAll({ after: 10n });
    const iteration = collect(subscription);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await subscription.stop();
    await expect(iteration).resolves.toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_500);
    await slow.close();
  });

  it('ends open subscriptions normally on close', async () => {
    const slow = new EventStoreDbEventStore(connectionString, {
      subscriptionRetry: { maxAttempts: 10, initialDelayMs: 5_000, maxDelayMs: 5_000 },
    });
    const iteration = collect(slow.subscribeToAll());
    await new Promise((resolve) => setTimeout(resolve, 100));
    await slow.close();
    await expect(iteration).resolves.toEqual([]);
  });

  it('refuses every call once closed (as the SQLite engine does), and closes once', async () => {
    const closing = new EventStoreDbEventStore(connectionString);
    await closing.close();
    await closing.close();
    const closedError = expect.objectContaining({ name: 'EventStoreUnavailableError', message: 'The event store is closed' });
    await expect(closing.appendToStream('s-1', [{ type: 'A', data: {} }])).rejects.toEqual(closedError);
    await expect(closing.readStream('s-1')).rejects.toEqual(closedError);
    await expect(closing.headPosition()).rejects.toEqual(closedError);
    await expect(collect(closing.readAll())).rejects.toEqual(closedError);
    expect(() => closing.subscribeToAll()).toThrow('The event store is closed');
  });
});

describe('probeEventStoreDb (real client, no server)', () => {
  let blackHole: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts connections and never answers: the client would wait forever.
    blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  });

  it('reports a refused connection quickly', async () => {
    const result = await probeEventStoreDb(`esdb://127.0.0.1:${await closedPort()}?tls=false`, 2_000);
    expect(result.ok).toBe(false);
    expect(result.latencyMs).toBeLessThan(1_500);
    if (!result.ok) expect(result.error).toBeInstanceOf(EventStoreUnavailableError);
  });

  it('gives up on a port that accepts and never answers, at its own timeout', async () => {
    const { port } = blackHole.address() as { port: number };
    const started = Date.now();
    const result = await probeEventStoreDb(`esdb://127.0.0.1:${port}?tls=false`, 300);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/did not answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('fails appends and reads against a server that never answers within callTimeoutMs, instead of waiting for ever', async () => {
    const { port } = blackHole.address() as { port: number };
    const silent = new EventStoreDbEventStore(`esdb://127.0.0.1:${port}?tls=false`, { callTimeoutMs: 300 });
    try {
      const started = Date.now();
      const append = silent.appendToStream('s-1', [{ type: 'A', data: {} }]);
      await expect(append).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(append).rejects.toThrow(/did not answer an append to 's-1' \(it may or may not have been committed\) within 300 ms/);
      await expect(silent.readStream('s-1')).rejects.toThrow(/did not answer a read of 's-1' within 300 ms/);
      await expect(silent.headPosition()).rejects.toThrow(/did not answer a read of \$all within 300 ms/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await silent.close();
    }
  });

  it('reports a malformed connection string without throwing', async () => {
    const result = await probeEventStoreDb('not-a-connection-string', 300);
    expect(result.ok).toBe(false);
  });
});

/**
 * The adapter's own logic (paging, skipping, de-duplication, resubscription) through the real
 * client against a scripted stand-in for Streams.Read. Not EventStoreDB: see fake-streams-server.ts.
 */
describe('EventStoreDbEventStore logic against a scripted Streams.Read stand-in', () => {
  let fake: FakeStreamsServer;
  let store: EventStoreDbEventStore;

  beforeEach(async () => {
    fake = new FakeStreamsServer();
    const connectionString = await fake.start();
    store = new EventStoreDbEventStore(connectionString, {
      readPageSize: 3,
      subscriptionRetry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
    });
  });

  afterEach(async () => {
    await store.close();
    await fake.stop();
  });

  function seed(): void {
    fake.add({ streamId: '$epoch-information', type: '$epoch', data: '{}' });
    fake.add({ streamId: 'obligation-1', type: 'ObligationRegistered', data: '{"n":1}' });
    fake.add({ streamId: 'obligation-1', type: '$metadata', data: '{}' });
    fake.add({ streamId: 'contribution-1', type: 'ContributionMade', data: '{"n":2}' });
    fake.add({ streamId: '$ce-obligation', type: '$>', data: '0@obligation-1' });
    fake.add({ streamId: 'obligation-1', type: 'ObligationPaid', data: '{"n":3}', metadata: '{"by":"x"}' });
    fake.add({ streamId: 'obligation-2', type: 'ObligationRegistered', data: '{"n":4}' });
    fake.add({ streamId: '$stats-1', type: '$statsCollected', data: '{}' });
  }

  const positions = (events: RecordedEvent[]) => events.map((e) => e.position);
  const userPositions = () =>
    fake.records.filter((r) => !r.streamId.startsWith('$') && !r.type.startsWith('$')).map((r) => r.commit);

  it('reads $all page by page, skipping system events, with an exclusive after and a maxCount', async () => {
    seed();
    const all = await collect(store.readAll());
    expect(positions(all)).toEqual(userPositions());
    expect(all.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    expect(fake.allRequests.every((r) => r.count === 3n)).toBe(true);
    expect(fake.allRequests.length).toBeGreaterThan(2);

    const [first, second] = userPositions();
    expect(positions(await collect(store.readAll({ after: first })))).toEqual(userPositions().slice(1));
    expect(positions(await collect(store.readAll({ after: first, maxCount: 1 })))).toEqual([second]);
    expect(await collect(store.readAll({ maxCount: 0 }))).toEqual([]);
  });

  it('filters readAll by stream prefix and exact event type', async () => {
    seed();
    const obligations = await collect(store.readAll({ filter: { streamPrefixes: ['obligation-'] } }));
    expect(obligations.map((e) => e.type)).toEqual(['ObligationRegistered', 'ObligationPaid', 'ObligationRegistered']);
    const registered = await collect(
      store.readAll({ filter: { streamPrefixes: ['obligation-'], eventTypes: ['ObligationRegistered'] } }),
    );
    expect(registered.map((e) => e.streamId)).toEqual(['obligation-1', 'obligation-2']);
    expect(await collect(store.readAll({ filter: { eventTypes: ['Obligation'] } }))).toEqual([]);
  });

  it('gives the head position of the last user event, or null', async () => {
    expect(await store.headPosition()).toBeNull();
    fake.add({ streamId: '$epoch-information', type: '$epoch', data: '{}' });
    expect(await store.headPosition()).toBeNull();
    seed();
    for (let i = 0; i < 5; i++) fake.add({ streamId: '$stats-1', type: '$statsCollected', data: '{}' });
    expect(await store.headPosition()).toBe(userPositions().at(-1));
  });

  it('reads a stream forwards and backwards, and reports a missing stream', async () => {
    seed();
    const forwards = await store.readStream('obligation-1');
    expect(forwards.map((e) => e.type)).toEqual(['ObligationRegistered', '$metadata', 'ObligationPaid']);
    expect(forwards[2]).toMatchObject({ revision: 2n, metadata: { by: 'x' }, data: { n: 3 } });
    const backwards = await store.readStream('obligation-1', { direction: 'backwards', maxCount: 2 });
    expect(backwards.map((e) => e.revision)).toEqual([2n, 1n]);
    expect(await store.readStream('obligation-1', { maxCount: 0 })).toEqual([]);
    await expect(store.readStream('nobody')).rejects.toBeInstanceOf(StreamNotFoundError);
    await expect(store.readStream('nobody', { maxCount: 0 })).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('catches up, goes live, survives a dropped subscription without duplicates, and stops', async () => {
    seed();
    const [first] = userPositions();
    // The first subscription fails after 2 events; the next attempt is refused; the third holds.
    fake.dropSubscriptionAfter = 2;
    fake.refuseAfterDrop = 1;
    const subscription = store.subscribeToAll({ after: first });
    const received: RecordedEvent[] = [];
    const done = (async () => {
      for await (const event of subscription) {
        received.push(event);
        if (received.length === 4) await subscription.stop();
      }
    })();
    await waitFor(() => received.length >= 3);
    fake.add({ streamId: 'obligation-3', type: 'ObligationRegistered', data: '{"n":5}' });
    await done;
    expect(positions(received)).toEqual(userPositions().slice(1));
    expect(new Set(positions(received)).size).toBe(received.length);
    const subscriptions = fake.allRequests.filter((r) => r.subscription);
    expect(subscriptions.length).toBe(3);
    expect(subscriptions[0].from).toEqual({ commit: first, prepare: first });
    // Resumed from the last record handled (events the client had buffered when the call failed
    // are lost with it and come again), never from the start.
    const resumedAt = subscriptions[2].from as { commit: bigint };
    expect(subscriptions[1].from).toEqual(subscriptions[2].from);
    expect([first, received[0].position, received[1].position]).toContain(resumedAt.commit);
    expect(subscriptions[0].filter).toEqual({ on: 'eventType', regex: '^[^$].*', prefixes: [] });
  });

  it('sends the filter to the server and applies the rest itself', async () => {
    seed();
    const subscription = store.subscribeToAll({
      filter: { streamPrefixes: ['obligation-'], eventTypes: ['ObligationPaid'] },
    });
    const received: RecordedEvent[] = [];
    for await (const event of subscription) {
      received.push(event);
      break;
    }
    expect(received.map((e) => e.type)).toEqual(['ObligationPaid']);
    expect(fake.allRequests[0].filter).toEqual({ on: 'streamName', regex: '', prefixes: ['obligation-'] });
    await subscription.stop();

    const byType = store.subscribeToAll({ filter: { eventTypes: ['ContributionMade'] } });
    for await (const event of byType) {
      expect(event.type).toBe('ContributionMade');
      break;
    }
    expect(fake.allRequests[1].filter).toEqual({ on: 'eventType', regex: '^(?:ContributionMade)$', prefixes: [] });
  });

  it('throws SubscriptionDroppedError when the server confirms each subscription and then fails it (no endless retry)', async () => {
    fake.failAfterConfirmation = 100;
    await expect(collect(store.subscribeToAll())).rejects.toBeInstanceOf(SubscriptionDroppedError);
    expect(fake.allRequests.filter((r) => r.subscription)).toHaveLength(4); // the first try and 3 resubscriptions
  });

  it('throws SubscriptionDroppedError when the server keeps refusing', async () => {
    fake.failNextSubscriptions = 100;
    await expect(collect(store.subscribeToAll())).rejects.toBeInstanceOf(SubscriptionDroppedError);
    expect(fake.allRequests.filter((r) => r.subscription)).toHaveLength(4); // the first try and 3 resubscriptions
  });

  it('can be iterated only once', () => {
    const subscription = store.subscribeToAll();
    subscription[Symbol.asyncIterator]();
    expect(() => subscription[Symbol.asyncIterator]()).toThrow(/only once/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
