import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { AppendThread } from './append-thread';
import { COMMIT_CHANNEL, FINISHING_CHECKPOINT_CHANNEL, type CommitDiagnostics, type FinishingCheckpointDiagnostics } from './diagnostics';
import { SqliteEventStore } from './sqlite-event-store';
import { WalCheckpointer } from './wal-checkpointer';

const dir = mkdtempSync(join(tmpdir(), 'sroi-wal-checkpointer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const payload = { text: 'x'.repeat(2000) };
/** Tests of thousands of durable appends: 2–5 s here, more on a busy machine (jest's default is 5 s). */
const HEAVY_MS = 30_000;

/** After the store's close: no WAL file left, and every event in the database file. */
function expectWalGoneWithEvents(file: string, events: number): void {
  expect(existsSync(`${file}-wal`)).toBe(false);
  const db = new Database(file, { readonly: true });
  expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: events });
  db.close();
}

describe('background WAL checkpoints', () => {
  it('checkpoints a store that commits on the event loop on a worker thread, the writer finishing a checkpoint only when the WAL has grown: it stays bounded and everything stays readable', async () => {
    const file = join(dir, 'store', 'events.sqlite');
    const store = new SqliteEventStore({ path: file, appendThread: false });
    try {
      // 6,000 appends of 2 kB: checkpoints on another thread alone would leave a WAL of some 90 MB
      // (it starts over only once fully checkpointed); the writer finishes them once it passes 16 MB.
      for (let i = 0; i < 6000; i++) await store.appendToStream(`s-${i % 20}`, [{ type: 'Noted', data: { ...payload, i } }]);
      await until('a checkpoint has run', () => (store.checkpointStats()?.checkpoints ?? 0) > 0);
      const stats = store.checkpointStats();
      expect(stats?.lastCheckpointedFrames).toBeGreaterThan(0);
      expect(statSync(`${file}-wal`).size).toBeLessThan(24 * 1024 * 1024);
      let read = 0;
      for await (const e of store.readAll()) if ((e.data as { i: number }).i === read) read++;
      expect(read).toBe(6000);
    } finally {
      await store.close();
    }
    // The writer closed last: SQLite checkpointed the rest and removed the WAL.
    expectWalGoneWithEvents(file, 6000);
  }, HEAVY_MS);

  it('a store with the append thread checkpoints on the checkpoint thread, not in the commits, and finishes on the append thread, never on the event loop: the WAL starts over past its limit, and is removed at close', async () => {
    const file = join(dir, 'threaded', 'events.sqlite');
    // Small limits (the defaults let the WAL grow to 16 MB): 3,000 commits pass them several times.
    const store = new SqliteEventStore({ path: file, checkpoints: { everyCommits: 50, restartFrames: 1024 } });
    const mainConnection = (store as unknown as { db: Database.Database }).db;
    const pragmas = jest.spyOn(mainConnection, 'pragma');
    try {
      for (let i = 0; i < 3000; i++) await store.appendToStream(`s-${i % 20}`, [{ type: 'Noted', data: { ...payload, i } }]);
      expect(store.committingOn()).toBe('append-thread');
      expect(pragmas.mock.calls.filter(([sql]) => /wal_checkpoint/i.test(sql))).toEqual([]);
      await until('a checkpoint has run', () => (store.checkpointStats()?.checkpoints ?? 0) > 0);
      expect(store.checkpointStats()?.lastCheckpointedFrames).toBeGreaterThan(0);
      // Without the writer's finishing checkpoint it would hold every frame of the 3,000 commits (~25 MB).
      expect(statSync(`${file}-wal`).size).toBeLessThan(4 * 1024 * 4096 + 1024 * 1024);
    } finally {
      await store.close();
    }
    expectWalGoneWithEvents(file, 3000);
  }, HEAVY_MS);

  it('a finishing checkpoint that fails on the committing connection is a warning: the appends before it stand', async () => {
    const file = join(dir, 'finish-fails', 'events.sqlite');
    const store = new SqliteEventStore({ path: file, appendThread: false });
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await store.appendToStream('s-1', [{ type: 'Noted', data: { i: 0 } }]);
      const internals = store as unknown as { db: Database.Database; checkpointer: WalCheckpointer };
      jest.spyOn(internals.checkpointer, 'committed').mockReturnValue(true);
      const pragma = internals.db.pragma.bind(internals.db);
      jest.spyOn(internals.db, 'pragma').mockImplementation((sql: string, options?: Database.PragmaOptions) => {
        if (/wal_checkpoint/i.test(sql)) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
        return pragma(sql, options);
      });
      await expect(store.appendToStream('s-1', [{ type: 'Noted', data: { i: 1 } }])).resolves.toMatchObject({ nextExpectedRevision: 1n });
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/finishing WAL checkpoint failed: disk I\/O error/);
      expect((await store.readStream('s-1')).map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }]);
    } finally {
      warn.mockRestore();
      jest.restoreAllMocks();
      await store.close();
    }
  });

  it('a store with the append thread whose checkpointer fails checkpoints in the thread\'s commits again: the WAL stays bounded', async () => {
    const file = join(dir, 'threaded-fallback', 'events.sqlite');
    // Background checkpoints that would not come during the test: only the fallback can bound the WAL.
    const store = new SqliteEventStore({ path: file, checkpoints: { everyCommits: 1_000_000, intervalMs: 600_000, restartFrames: 1_000_000 } });
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      for (let i = 0; i < 1000; i++) await store.appendToStream(`s-${i % 20}`, [{ type: 'Noted', data: { ...payload, i } }]);
      // No checkpoint in the thread's commits meanwhile: the WAL holds every one of them.
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(8 * 1024 * 1024);
      (store as unknown as { checkpointer: { fail(error: Error): void } }).checkpointer.fail(new Error('the checkpoint worker exited with code 1'));
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/the event store checkpoints in its commits again/);
      const walAtFailure = statSync(`${file}-wal`).size;
      for (let i = 0; i < 3000; i++) await store.appendToStream(`s-${i % 20}`, [{ type: 'Noted', data: { ...payload, i } }]);
      // SQLite's auto-checkpoint every 1,000 pages, in the thread's commits: the WAL starts over
      // (after the first commit, which comes before its checkpoint) instead of growing by the
      // 3,000 commits' ~25 MB.
      expect(statSync(`${file}-wal`).size).toBeLessThan(walAtFailure + 1024 * 1024);
    } finally {
      warn.mockRestore();
      await store.close();
    }
    expectWalGoneWithEvents(file, 4000);
  }, HEAVY_MS);

  it('a store without appends starts no worker; one with background checkpoints off checkpoints in its commits', async () => {
    const readOnly = new SqliteEventStore({ path: join(dir, 'reader', 'events.sqlite'), appendThread: false });
    await readOnly.headPosition();
    expect(readOnly.checkpointStats()).toBeUndefined();
    await readOnly.close();
    const file = join(dir, 'inline', 'events.sqlite');
    const inline = new SqliteEventStore({ path: file, backgroundCheckpoints: false, appendThread: false });
    try {
      expect(inline.checkpointStats()).toBeUndefined();
      for (let i = 0; i < 2000; i++) await inline.appendToStream(`s-${i % 20}`, [{ type: 'Noted', data: { ...payload, i } }]);
      expect(statSync(`${file}-wal`).size).toBeLessThan(6 * 1024 * 1024);
    } finally {
      await inline.close();
    }
  }, HEAVY_MS);

  it('close(): a worker not done in time is left to close its connection and end by itself, never terminated inside a call', async () => {
    const file = join(dir, 'busy', 'events.sqlite');
    const store = new SqliteEventStore({ path: file, appendThread: false, backgroundCheckpoints: false });
    for (let i = 0; i < 200; i++) await store.appendToStream(`s-${i % 20}`, [{ type: 'Noted', data: { ...payload, i } }]);
    const workers: Worker[] = [];
    const checkpointer = new WalCheckpointer(file, () => undefined, { everyCommits: 1 });
    checkpointer.committed(); // a checkpoint is asked for, and out
    workers.push((checkpointer as unknown as { worker: Worker }).worker);
    const thread = new AppendThread({ path: file, busyTimeoutMs: 100, synchronous: 'FULL', lockWaitMs: 1_000 });
    workers.push((thread as unknown as { worker: Worker }).worker);
    const terminated = workers.map((worker) => jest.spyOn(worker, 'terminate'));
    const exits = workers.map((worker) => once(worker, 'exit'));
    // No time to close (0 ms): each is left to end by itself.
    checkpointer.close(0);
    thread.close(0);
    expect(await Promise.all(exits)).toEqual([[0], [0]]);
    for (const spy of terminated) expect(spy).not.toHaveBeenCalled();
    await store.close();
  });

  it('once no commit has come for quietMs, checkpoints the whole WAL, and the next commit starts it over with no finishing checkpoint of the writer\'s', async () => {
    const file = join(dir, 'quiet', 'data.sqlite');
    mkdirSync(join(dir, 'quiet'));
    const writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    // Neither the commit count nor the timer nor the WAL's size asks for a checkpoint in this test.
    const quietMs = 1_000;
    const checkpointer = WalCheckpointer.forConnection(writer, file, { what: 'the test database', fallbackPages: 1000, everyCommits: 1_000_000, intervalMs: 600_000, restartFrames: 1_000_000, quietMs });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      writer.exec('CREATE TABLE t (x TEXT)');
      const insert = writer.prepare('INSERT INTO t VALUES (?)');
      const commit = (text: string) => {
        insert.run(text);
        return checkpointer.committed();
      };
      for (let i = 0; i < 100; i++) commit('y'.repeat(3000));
      // Commits 200 ms apart, past quietMs in all: each one puts the quiet moment off.
      for (let i = 0; i < 6; i++) {
        await sleep(200);
        commit('z'.repeat(3000));
      }
      expect(checkpointer.stats().checkpoints).toBe(0);
      await until('the quiet checkpoint has run', () => checkpointer.stats().checkpoints === 1);
      const quiet = checkpointer.stats();
      expect(quiet.lastLogFrames).toBeGreaterThan(100);
      expect(quiet.lastCheckpointedFrames).toBe(quiet.lastLogFrames);
      expect(commit('w')).toBe(false);
      // The WAL started over: it holds that last commit's frames only.
      const other = new Database(file);
      const [row] = other.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
      other.close();
      expect(row.log).toBeGreaterThan(0);
      expect(row.log).toBeLessThan(10);
    } finally {
      checkpointer.close();
      writer.close();
    }
  });

  it('tells its owner when the worker cannot go on (here: the file cannot be opened)', async () => {
    const failures: Error[] = [];
    const checkpointer = new WalCheckpointer(join(dir, 'no-such-folder', 'x', 'events.sqlite'), (e) => failures.push(e));
    checkpointer.committed();
    await until('the failure is reported', () => failures.length > 0);
    expect(failures[0].message).toMatch(/unable to open|directory|exited/i);
    checkpointer.close();
  });

  it('forConnection turns the connection\'s auto-checkpoints off, and on again when the worker fails', async () => {
    const db = new Database(join(dir, 'plain.sqlite'));
    db.pragma('journal_mode = WAL');
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const checkpointer = WalCheckpointer.forConnection(db, join(dir, 'no-such-folder', 'y', 'plain.sqlite'), { what: 'the test database', fallbackPages: 777 });
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      checkpointer.committed();
      await until('auto-checkpoints are on again', () => db.pragma('wal_autocheckpoint', { simple: true }) === 777);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/the test database checkpoints in its commits again/);
      checkpointer.close();
    } finally {
      warn.mockRestore();
      db.close();
    }
  });

  describe('diagnostics channels', () => {
    /** Subscribes to both channels for the duration of `work`, and returns what they carried. */
    async function observed(work: (seen: { finishes: FinishingCheckpointDiagnostics[] }) => Promise<void>): Promise<{ commits: CommitDiagnostics[]; finishes: FinishingCheckpointDiagnostics[] }> {
      const commits: CommitDiagnostics[] = [];
      const finishes: FinishingCheckpointDiagnostics[] = [];
      const onCommit = (m: unknown) => commits.push(m as CommitDiagnostics);
      const onFinish = (m: unknown) => finishes.push(m as FinishingCheckpointDiagnostics);
      subscribe(COMMIT_CHANNEL, onCommit);
      subscribe(FINISHING_CHECKPOINT_CHANNEL, onFinish);
      try {
        await work({ finishes });
      } finally {
        unsubscribe(COMMIT_CHANNEL, onCommit);
        unsubscribe(FINISHING_CHECKPOINT_CHANNEL, onFinish);
      }
      return { commits, finishes };
    }

    it.each([
      ['the append thread', true, 'append-thread'],
      ['the event loop', false, 'event-loop'],
    ] as const)('on %s: every append\'s wait for its commit, and every finishing checkpoint with its time, are published while subscribed', async (_where, appendThread, on) => {
      const file = join(dir, `diagnostics-${on}`, 'events.sqlite');
      const store = new SqliteEventStore({ path: file, appendThread, checkpoints: { everyCommits: 50, restartFrames: 256 } });
      try {
        const { commits, finishes } = await observed(async (seen) => {
          // Concurrent appends share group commits; a commit of each lets the checkpoints keep up.
          for (let round = 0; round < 150; round++) await Promise.all([0, 1, 2].map((k) => store.appendToStream(`s-${k}`, [{ type: 'Noted', data: { ...payload, round } }])));
          await until('a finishing checkpoint was published', () => (store.checkpointStats()?.checkpoints ?? 0) > 0 && seen.finishes.length > 0);
        });
        const waits = commits.flatMap((c) => c.waitsMs);
        expect(waits).toHaveLength(450);
        expect(commits.length).toBeLessThanOrEqual(450);
        for (const c of commits) {
          expect(c.file).toBe(file);
          expect(c.commitMs).toBeGreaterThan(0);
          // An append waits at least as long as its group's commit (it was called before the flush).
          for (const w of c.waitsMs) expect(w).toBeGreaterThanOrEqual(c.commitMs);
        }
        expect(finishes[0]).toEqual({ file, on, durationMs: expect.any(Number), complete: expect.any(Boolean) });
        expect(finishes.some((f) => f.complete)).toBe(true);
        expect(finishes.every((f) => f.durationMs > 0)).toBe(true);
      } finally {
        await store.close();
      }
      expectWalGoneWithEvents(file, 450);
    }, HEAVY_MS);

    it('publishes nothing and times nothing while nobody subscribes', async () => {
      const file = join(dir, 'diagnostics-none', 'events.sqlite');
      const store = new SqliteEventStore({ path: file });
      const queue = () => (store as unknown as { queue: { calledAt?: number }[] }).queue;
      try {
        const pending = store.appendToStream('s', [{ type: 'Noted', data: payload }]);
        expect(queue()[0]).toBeDefined();
        expect(queue()[0]?.calledAt).toBeUndefined();
        await pending;
        const { commits } = await observed(async () => {
          const next = store.appendToStream('s', [{ type: 'Noted', data: payload }]);
          expect(queue()[0]?.calledAt).toEqual(expect.any(Number));
          await next;
        });
        expect(commits.flatMap((c) => c.waitsMs)).toHaveLength(1);
      } finally {
        await store.close();
      }
    });
  });
});
