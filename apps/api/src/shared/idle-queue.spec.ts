import { IdleQueue } from './idle-queue';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the event loop busy for `ms`: turns of `turnMs` of synchronous work, one after the other. */
async function busy(ms: number, turnMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        const until = Math.min(end, Date.now() + turnMs);
        while (Date.now() < until) {
          // spin: a request's synchronous work
        }
        resolve();
      }),
    );
  }
}

describe('IdleQueue', () => {
  it('works off each queued key once while the event loop is idle', async () => {
    const worked: string[] = [];
    const queue = new IdleQueue<string>((key) => void worked.push(key), { backoffMs: 5 });
    for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
    expect(queue.size).toBe(3);
    await queue.drained();
    expect(worked).toEqual(['a', 'b', 'c']);
    expect(queue.done).toBe(3);
  });

  it('waits while other work keeps the event loop busy, and goes on once it is idle', async () => {
    let worked = 0;
    const queue = new IdleQueue<number>(() => void worked++, { backoffMs: 20, maxLoad: 0.25 });
    const load = busy(400);
    for (let i = 0; i < 100; i++) queue.add(i);
    await load;
    expect(worked).toBe(0);
    await queue.drained();
    expect(worked).toBe(100);
  });

  it('works in slices: a long queue yields the event loop between them', async () => {
    // Each key takes ~1 ms; with slices of 3 ms a timer of 0 ms must get its turn long before the end.
    let worked = 0;
    const queue = new IdleQueue<number>(
      () => {
        const until = performance.now() + 1;
        while (performance.now() < until) {
          // spin
        }
        worked++;
      },
      { backoffMs: 1, sliceMs: 3, maxLoad: 1 },
    );
    for (let i = 0; i < 200; i++) queue.add(i);
    await sleep(5);
    const workedWhenTimerRan = await new Promise<number>((resolve) => setTimeout(() => resolve(worked), 0));
    expect(workedWhenTimerRan).toBeLessThan(200);
    await queue.drained();
    expect(worked).toBe(200);
  });

  it('goes on after a key whose work failed, and reports it', async () => {
    const failures: unknown[] = [];
    const worked: number[] = [];
    const queue = new IdleQueue<number>(
      async (key) => {
        if (key === 2) throw new Error('boom');
        worked.push(key);
      },
      { backoffMs: 5, onError: (key) => failures.push(key) },
    );
    for (const key of [1, 2, 3]) queue.add(key);
    await queue.drained();
    expect(worked).toEqual([1, 3]);
    expect(failures).toEqual([2]);
    expect(queue.done).toBe(2);
  });

  it('drops keys beyond its capacity', async () => {
    const worked: number[] = [];
    const queue = new IdleQueue<number>((key) => void worked.push(key), { backoffMs: 5, capacity: 2 });
    for (const key of [1, 2, 3, 1]) queue.add(key);
    expect(queue.dropped).toBe(1);
    await queue.drained();
    expect(worked).toEqual([1, 2]);
  });

  it('does nothing more once stopped', async () => {
    let worked = 0;
    const queue = new IdleQueue<number>(() => void worked++, { backoffMs: 5 });
    queue.add(1);
    await queue.stop();
    queue.add(2);
    await sleep(30);
    expect(worked).toBe(0);
    expect(queue.size).toBe(0);
  });
});
