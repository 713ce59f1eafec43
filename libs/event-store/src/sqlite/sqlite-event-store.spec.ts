import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  DuplicateEventIdError,
  EventStoreUnavailableError,
  SubscriptionDroppedError,
} from '../errors';
import type { AllSubscription, RecordedEvent } from '../port';
import { describeEventStoreContract, portFields } from '../testing/event-store.contract';
import { SCHEMA_VERSION, UnsupportedSchemaError } from './schema';
import { SqliteEventStore } from './sqlite-event-store';

const dir = mkdtempSync(join(tmpdir(), 'sroi-sqlite-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Both ways of committing meet the whole contract: on the append thread (the default) and on the event loop.
for (const appendThread of [true, false]) {
  const contractFile = join(dir, appendThread ? 'contract' : 'contract-event-loop', 'events.sqlite');
  describeEventStoreContract(appendThread ? 'sqlite' : 'sqlite committing on the event loop', {
    open: async () => new SqliteEventStore({ path: contractFile, appendThread }),
    config: () => ({ engine: 'sqlite', path: contractFile, synchronous: 'FULL' }),
    integrityCheck: async () => {
      const store = new SqliteEventStore({ path: contractFile, appendThread });
      try {
        return store.integrityCheck();
      } finally {
        await store.close();
      }
    },
    consecutivePositions: true,
  });
}

/** The types a subscription delivers, collected until one of type `last` (then `consumed` resolves). */
function typesUntil(subscription: AllSubscription, last: string): { received: string[]; consumed: Promise<void> } {
  const received: string[] = [];
  const consumed = (async () => {
    for await (const e of subscription) {
      received.push(e.type);
      if (e.type === last) return;
    }
  })();
  return { received, consumed };
}

describe('SQLite engine', () => {
  let file: string;
  beforeEach(() => {
    file = join(dir, randomUUID(), 'events.sqlite');
  });

  it('commits on the append thread; when that thread stops, the batch out is refused as unavailable and later appends commit on the event loop', async () => {
    const store = new SqliteEventStore({ path: file });
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await store.appendToStream('s', [{ type: 'A', data: {} }]);
      expect(store.committingOn()).toBe('append-thread');
      const thread = (store as unknown as { appendThread: { worker: { postMessage(message: unknown): void } } }).appendThread;
      // A message the thread cannot read makes it throw and exit (as a bug in it would) before it
      // gets to the batch sent after it: that batch is out when the thread dies, deterministically.
      // (Terminating the thread instead races its commit, and ends the whole process when it lands
      // inside a better-sqlite3 call.)
      thread.worker.postMessage(null);
      const lost = store.appendToStream('s', [{ type: 'B', data: {} }]);
      await expect(lost).rejects.toBeInstanceOf(EventStoreUnavailableError);
      expect(warn.mock.calls.map(([message]) => String(message))).toEqual([
        "The append thread stopped (TypeError: Cannot read properties of null (reading 'kind')); the event store commits on the event loop from now on",
      ]);
      expect(store.committingOn()).toBe('event-loop');
      const stored = await store.readStream('s');
      const next = await store.appendToStream('s', [{ type: 'C', data: {} }], { expectedRevision: BigInt(stored.length - 1) });
      expect(next.nextExpectedRevision).toBe(BigInt(stored.length));
      expect((await store.readStream('s')).map((e) => e.type)).toEqual([...stored.map((e) => e.type), 'C']);
    } finally {
      warn.mockRestore();
      await store.close();
    }
  });

  it('creates the file, its folder and the schema on first use, with a schema version', async () => {
    const store = new SqliteEventStore({ path: file });
    await store.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('runs a new connection with synchronous=FULL by default, and as configured', async () => {
    const durable = new SqliteEventStore({ path: file });
    expect(durable.synchronousMode()).toBe(2);
    await durable.close();
    const relaxed = new SqliteEventStore({ path: file, synchronous: 'NORMAL' });
    expect(relaxed.synchronousMode()).toBe(1);
    await relaxed.close();
    // What better-sqlite3 would run with if the store did not set it: the reason it does.
    const raw = new Database(file);
    expect(raw.pragma('synchronous', { simple: true })).not.toBe(2);
    raw.close();
  });

  it('refuses a file written by a newer schema instead of misreading it', async () => {
    mkdirSync(dirname(file), { recursive: true });
    const newer = new Database(file);
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    expect(() => new SqliteEventStore({ path: file })).toThrow(UnsupportedSchemaError);
  });

  it('keeps everything when the file is closed and opened again', async () => {
    const first = new SqliteEventStore({ path: file });
    for (let i = 0; i < 20; i++) {
      await first.appendToStream(`contract-${i % 4}`, [{ type: 'Appended', data: { i }, metadata: { actor: 'a' } }]);
    }
    const before = (await collect(first.readAll())).map(portFields);
    await first.close();
    const second = new SqliteEventStore({ path: file });
    expect((await collect(second.readAll())).map(portFields)).toEqual(before);
    expect(before[19].data).toEqual({ i: 19 });
    expect((await second.appendToStream('contract-0', [{ type: 'Next', data: {} }], { expectedRevision: 4n })).position).toBe(21n);
    await second.close();
  });

  it('refuses an event id already used in another stream, and writes nothing of that append', async () => {
    const store = new SqliteEventStore({ path: file });
    const id = randomUUID();
    await store.appendToStream('a', [{ id, type: 'A', data: {} }]);
    await expect(
      store.appendToStream('b', [{ type: 'B1', data: {} }, { id, type: 'B2', data: {} }]),
    ).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await collect(store.readAll())).toHaveLength(1);
    await store.close();
  });

  it('waits for a writer of another connection instead of failing with SQLITE_BUSY', async () => {
    const store = new SqliteEventStore({ path: file });
    await store.appendToStream('a', [{ type: 'A', data: {} }]);
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => other.exec('COMMIT'), 400);
    const started = Date.now();
    await expect(store.appendToStream('a', [{ type: 'B', data: {} }], { expectedRevision: 0n })).resolves.toMatchObject({
      nextExpectedRevision: 1n,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    other.close();
    await store.close();
  });

  it('gives up on a lock held too long with a typed error, not SQLITE_BUSY', async () => {
    const store = new SqliteEventStore({ path: file, lockWaitMs: 300 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const error = await store.appendToStream('a', [{ type: 'A', data: {} }]).catch((e: unknown) => e);
    other.exec('ROLLBACK');
    other.close();
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.readStream('a')).rejects.toMatchObject({ code: 'stream-not-found' });
    await store.close();
  });

  it('records instants that never go backwards in position order', async () => {
    const store = new SqliteEventStore({ path: file });
    for (let i = 0; i < 50; i++) await store.appendToStream(`s-${i % 5}`, [{ type: 'T', data: {} }]);
    const instants = (await collect(store.readAll())).map((e) => e.recordedAt);
    expect([...instants].sort()).toEqual(instants);
    await store.close();
  });

  it('ends a subscription with an error when its connection fails, never silently', async () => {
    const store = new SqliteEventStore({ path: file, pollIntervalMs: 10 });
    await store.appendToStream('a', [{ type: 'A', data: {} }]);
    const subscription = store.subscribeToAll();
    const received: RecordedEvent[] = [];
    const consumed = (async () => {
      for await (const e of subscription) received.push(e);
    })();
    await new Promise((r) => setTimeout(r, 50));
    // Break the connection under the subscription (as a disk failure would).
    (store as unknown as { db: Database.Database }).db.close();
    await expect(consumed).rejects.toBeInstanceOf(SubscriptionDroppedError);
    expect(received.map((e) => e.type)).toEqual(['A']);
    await store.close();
  });

  it('reads and parses a page once for the subscriptions that ask for it in the same turn', async () => {
    const store = new SqliteEventStore({ path: file, pollIntervalMs: 10 });
    await store.appendToStream('shared-a', [{ type: 'A', data: { n: 1 } }]);
    const first = store.subscribeToAll()[Symbol.asyncIterator]();
    const second = store.subscribeToAll()[Symbol.asyncIterator]();
    const [a, b] = await Promise.all([first.next(), second.next()]);
    // one object for both: the same parse
    expect(a.value).toBe(b.value);
    expect(a.value).toMatchObject({ type: 'A', data: { n: 1 } });
    await Promise.all([first.return?.(), second.return?.()]);
    await store.close();
  });

  it('parses data and metadata when first asked for, once, and hands over the stored text as dataJson until then', async () => {
    const store = new SqliteEventStore({ path: file });
    await store.appendToStream('lazy-a', [{ type: 'A', data: { n: 1 }, metadata: { actor: 'x' } }]);
    await store.appendToStream('lazy-b', [{ type: 'B', data: {} }]);
    // Stored texts of another writer's spelling: dataJson is the text itself, not a serialisation.
    const other = new Database(file);
    const stored = '{ "n" : 1, "text": "\u00e9" }';
    other.prepare("UPDATE events SET data = ? WHERE stream_id = 'lazy-a'").run(stored);
    other.prepare("UPDATE events SET data = '{oops' WHERE stream_id = 'lazy-b'").run();
    other.close();
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const parsesOf = (text: string) => parse.mock.calls.filter(([t]) => t === text).length;
      const [a, b] = await collect(store.readAll());
      expect([a.streamId, a.type, b.streamId, b.type]).toEqual(['lazy-a', 'A', 'lazy-b', 'B']);
      expect(parsesOf(stored) + parsesOf('{"actor":"x"}')).toBe(0);
      expect(a.dataJson).toBe(stored);
      expect(a.data).toEqual({ n: 1, text: 'é' });
      expect(a.data).toBe(a.data);
      expect(a.metadata).toEqual({ actor: 'x' });
      expect(a.metadata).toBe(a.metadata);
      expect([parsesOf(stored), parsesOf('{"actor":"x"}')]).toEqual([1, 1]);
      expect(a.dataJson).toBe('{"n":1,"text":"é"}');
      // A text that is not JSON fails where it is used, naming the event; the read itself goes on.
      expect(() => b.data).toThrow(/^The data of event [0-9a-f-]{36} \(revision 0 of 'lazy-b', position 2\) is not JSON$/);
      expect(b.metadata).toEqual({});
    } finally {
      parse.mockRestore();
      await store.close();
    }
  });

  it("wakes a subscription at once on a commit of another thread's store on the same file (no poll)", async () => {
    // A poll interval far beyond the test's patience: only the commit signal can deliver in time.
    const store = new SqliteEventStore({ path: file, pollIntervalMs: 600_000 });
    await store.appendToStream('this-thread', [{ type: 'Mine', data: {} }]);
    const subscription = store.subscribeToAll();
    const { received, consumed } = typesUntil(subscription, 'Theirs');
    while (received.length < 1) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50)); // the subscription is now waiting for a commit
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { SqliteEventStore } = require(workerData.source);
      const store = new SqliteEventStore({ path: workerData.file });
      store.appendToStream('other-thread', [{ type: 'Theirs', data: {} }]).then(() => store.close()).then(() => parentPort.postMessage('appended'));
    `;
    const worker = new Worker(code, {
      eval: true,
      workerData: { source: join(__dirname, 'sqlite-event-store.ts'), file },
      execArgv: ['-r', '@swc-node/register'],
      env: { ...process.env, SWC_NODE_PROJECT: join(__dirname, '../../../../tsconfig.base.json') },
    });
    const appended = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await appended;
    const deadline = Date.now() + 5_000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await worker.terminate();
    await subscription.stop();
    await consumed;
    expect(received).toEqual(['Mine', 'Theirs']);
    await store.close();
  }, 30_000);

  it('hands out no page read before another process committed: its subscription sees that commit', async () => {
    const store = new SqliteEventStore({ path: file, pollIntervalMs: 10 });
    await store.appendToStream('other-process', [{ type: 'Mine', data: {} }]);
    const subscription = store.subscribeToAll();
    const { received, consumed } = typesUntil(subscription, 'Theirs');
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual(['Mine']);
    // A commit no signal announces: another process's connection writes the row itself.
    const other = new Database(file);
    other.pragma('busy_timeout = 1000');
    other
      .prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, 0, ?, ?, ?, ?, ?)')
      .run('other-process-2', randomUUID(), 'Theirs', '{}', '{}', new Date().toISOString());
    other.close();
    // polled within 10 ms; a page kept from before the commit would hide it for good
    const deadline = Date.now() + 2_000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await subscription.stop();
    await consumed;
    expect(received).toEqual(['Mine', 'Theirs']);
    await store.close();
  });

  it('answers committed appends as committed when the commit tail fails, and the subscriptions read the file', async () => {
    const store = new SqliteEventStore({ path: file, pollIntervalMs: 600_000 });
    const subscription = store.subscribeToAll();
    const { received, consumed } = typesUntil(subscription, 'Second');
    await new Promise((r) => setTimeout(r, 20));
    (store as unknown as { tail: { add: () => void } }).tail.add = () => {
      throw new Error('the tail failed');
    };
    await expect(store.appendToStream('tail-fails', [{ type: 'First', data: {} }])).resolves.toMatchObject({ nextExpectedRevision: 0n });
    await expect(store.appendToStream('tail-fails', [{ type: 'Second', data: {} }])).resolves.toMatchObject({ nextExpectedRevision: 1n });
    await consumed;
    expect(received).toEqual(['First', 'Second']);
    await store.close();
  });

  it('reads every page from the file with commitTail: false', async () => {
    const store = new SqliteEventStore({ path: file, commitTail: false, pollIntervalMs: 600_000 });
    const subscription = store.subscribeToAll();
    const { received, consumed } = typesUntil(subscription, 'Last');
    await new Promise((r) => setTimeout(r, 20));
    const probe = new Database(':memory:').prepare('SELECT 1');
    const statementAll = jest.spyOn(Object.getPrototypeOf(probe) as { all: () => unknown }, 'all');
    try {
      await store.appendToStream('untailed', [{ type: 'First', data: {} }]);
      while (received.length < 1) await new Promise((r) => setImmediate(r));
      await store.appendToStream('untailed', [{ type: 'Last', data: {} }]);
      await consumed;
      expect(statementAll.mock.calls.filter((args: unknown[]) => typeof args[0] === 'bigint').length).toBeGreaterThanOrEqual(2);
    } finally {
      statementAll.mockRestore();
    }
    expect(received).toEqual(['First', 'Last']);
    await store.close();
  });

  for (const appendThread of [true, false]) {
    const where = appendThread ? 'the append thread' : 'the event loop';
    it(`hands the subscriptions at the head what this connection just committed without reading the file (committing on ${where})`, async () => {
      // No poll in the test's time: the subscription reads when a commit wakes it.
      const store = new SqliteEventStore({ path: file, appendThread, pollIntervalMs: 600_000 });
      const subscription = store.subscribeToAll();
      const received: RecordedEvent[] = [];
      const consumed = (async () => {
        for await (const e of subscription) received.push(e);
      })();
      await new Promise((r) => setTimeout(r, 20)); // it has read the empty log and waits
      const probe = new Database(':memory:').prepare('SELECT 1');
      const statementAll = jest.spyOn(Object.getPrototypeOf(probe) as { all: () => unknown }, 'all');
      try {
        for (let i = 0; i < 20; i++) {
          await store.appendToStream(`tail-${i % 3}`, [{ type: 'Tail', data: { i } }, { type: 'Tail', data: { i, second: true } }]);
          while (received.length < 2 * (i + 1)) await new Promise((r) => setImmediate(r));
        }
        // A page read binds the position it reads after (pragmas and the like bind nothing).
        expect(statementAll.mock.calls.filter((args: unknown[]) => typeof args[0] === 'bigint')).toEqual([]);
      } finally {
        statementAll.mockRestore();
      }
      await subscription.stop();
      await consumed;
      expect(received.map((e) => e.position)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i + 1)));
      expect(received.map(fieldsOf)).toEqual((await collect(store.readAll())).map(fieldsOf));
      await store.close();
    });

    it(`delivers the same events as a read of the file when the tail has gaps: another connection's commits, retries, refusals (committing on ${where})`, async () => {
      const store = new SqliteEventStore({ path: file, appendThread, pollIntervalMs: 20 });
      const other = new SqliteEventStore({ path: file, appendThread: false });
      const subscription = store.subscribeToAll();
      const received: RecordedEvent[] = [];
      // The consumer stops after each event while the gate is shut: the subscription asks for no
      // page then, and the commits made meanwhile meet it behind the tail's gaps.
      let gate: Promise<void> = Promise.resolve();
      let open = () => undefined as void;
      const consumed = (async () => {
        for await (const e of subscription) {
          received.push(e);
          await gate;
        }
      })();
      const retried = [{ id: randomUUID(), type: 'Retried', data: { n: 1 } }];
      let expected = 0;
      const delivered = async () => {
        const deadline = Date.now() + 5_000;
        while (received.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      };
      for (let round = 0; round < 4; round++) {
        gate = new Promise<void>((resolve) => (open = resolve));
        // One group: several appends at once, a refused one among them, a retry answered from the first.
        const outcomes = await Promise.allSettled([
          store.appendToStream(`gap-a-${round}`, [{ type: 'Mine', data: { round } }, { type: 'Mine', data: { round, k: 2 } }]),
          store.appendToStream(`gap-b-${round}`, [{ type: 'Refused', data: {} }], { expectedRevision: 5n }),
          store.appendToStream('gap-retried', retried, { expectedRevision: 'any' }),
          store.appendToStream(`gap-c-${round}`, [{ type: 'Mine', data: { round, k: 3 } }]),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        expected += round === 0 ? 4 : 3;
        // Another connection's commit between two of this one's: a gap in this connection's tail.
        await other.appendToStream(`gap-other-${round}`, [{ type: 'Theirs', data: { round } }]);
        await store.appendToStream(`gap-d-${round}`, [{ type: 'Mine', data: { round, k: 4 } }]);
        expected += 2;
        open();
        await delivered();
      }
      await subscription.stop();
      await consumed;
      const log = await collect(store.readAll());
      expect(log).toHaveLength(expected);
      expect(log.filter((e) => e.type === 'Retried')).toHaveLength(1);
      expect(received.map(fieldsOf)).toEqual(log.map(fieldsOf));
      await other.close();
      await store.close();
    });
  }

  it('ends subscriptions normally when the store is closed', async () => {
    const store = new SqliteEventStore({ path: file });
    const subscription = store.subscribeToAll();
    const consumed = (async () => {
      for await (const _ of subscription) {
        /* nothing arrives */
      }
    })();
    await store.close();
    await expect(consumed).resolves.toBeUndefined();
  });
});

/** Everything a reader sees of an event, the stored texts included. */
function fieldsOf(e: RecordedEvent): unknown[] {
  return [e.position, e.streamId, e.revision, e.id, e.type, e.dataJson, e.data, e.metadata, e.recordedAt];
}

async function collect(iterable: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of iterable) events.push(e);
  return events;
}
