import { setTimeout as sleep } from 'node:timers/promises';
import { HeapCompaction, StartupWork } from './startup-compaction';

/** Waits until `condition` holds, or fails after `ms`. */
async function until(condition: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('StartupWork', () => {
  it('lists the parts not done yet, and refuses a name twice', () => {
    const work = new StartupWork();
    let cacheWarm = false;
    work.register('cache', () => cacheWarm);
    work.register('catch-up', () => true);
    expect(work.pending()).toEqual(['cache']);
    cacheWarm = true;
    expect(work.pending()).toEqual([]);
    expect(() => work.register('cache', () => true)).toThrow(/registered already/);
  });
});

describe('HeapCompaction', () => {
  it('collects once, only after every part of the start-up work is done', async () => {
    const work = new StartupWork();
    const done = { cache: false, catchUp: false };
    work.register('cache', () => done.cache);
    work.register('catch-up', () => done.catchUp);
    const collect = jest.fn();
    const compaction = new HeapCompaction(work, { collect, pollMs: 5 });
    compaction.onApplicationBootstrap();
    await sleep(30);
    done.cache = true;
    await sleep(30);
    expect(collect).not.toHaveBeenCalled();
    done.catchUp = true;
    await until(() => compaction.done);
    await sleep(30);
    expect(collect).toHaveBeenCalledTimes(1);
    compaction.onApplicationShutdown();
  });

  it('collects at once when there is no start-up work', () => {
    const collect = jest.fn();
    const compaction = new HeapCompaction(new StartupWork(), { collect, pollMs: 5 });
    compaction.onApplicationBootstrap();
    expect(collect).toHaveBeenCalledTimes(1);
    expect(compaction.done).toBe(true);
  });

  it('does nothing without a collection to run (node without --expose-gc)', async () => {
    const work = new StartupWork();
    let checked = 0;
    work.register('cache', () => (checked++, true));
    const compaction = new HeapCompaction(work, { collect: undefined, pollMs: 5 });
    compaction.onApplicationBootstrap();
    await sleep(30);
    expect(checked).toBe(0);
    expect(compaction.done).toBe(false);
  });

  it('stops waiting at shutdown', async () => {
    const work = new StartupWork();
    let warm = false;
    work.register('cache', () => warm);
    const collect = jest.fn();
    const compaction = new HeapCompaction(work, { collect, pollMs: 5 });
    compaction.onApplicationBootstrap();
    await sleep(20);
    compaction.onApplicationShutdown();
    warm = true;
    await sleep(30);
    expect(collect).not.toHaveBeenCalled();
  });

  it("uses node's own collection when it is exposed", () => {
    const exposed = jest.fn();
    const global = globalThis as { gc?: () => void };
    const before = global.gc;
    global.gc = exposed;
    try {
      new HeapCompaction(new StartupWork(), null).onApplicationBootstrap();
      expect(exposed).toHaveBeenCalledTimes(1);
    } finally {
      global.gc = before;
    }
  });
});
