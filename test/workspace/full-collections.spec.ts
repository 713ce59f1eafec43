import { spawnSync } from 'node:child_process';
import { describeFullCollections, FullCollections } from '../bench/full-collections';

/** bench:api's reading of the service's full collections from V8's `--trace-gc` lines. */
describe('FullCollections (bench:api: which rows held a full collection of the service)', () => {
  it('reads the final pause and the marking steps of a full collection as V8 traces it', () => {
    const collections = new FullCollections();
    // The service's main isolate, traced during a bench:api run (its first line: a scavenge).
    expect(collections.line('[7705:0x221380f0]       31 ms: Scavenge 3.6 (4.3) -> 3.2 (5.3) MB, 0.81 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure;')).toBe(true);
    expect(collections.line('[7705:0x221380f0]    34954 ms: Mark-Compact 1129.6 (1260.1) -> 447.8 (1014.0) MB, 29.04 / 0.02 ms  (+ 232.2 ms in 132 steps since start of marking, biggest step 22.2 ms, walltime since start of marking 318 ms) (average mu = 0.981, current mu = 0.975) finalize incremental marking via task; GC in old space requested')).toBe(true);
    // A worker thread's heap (another isolate) does not count; nor does the service's own output.
    expect(collections.line('[7705:0x7fb8e0001000]     2362 ms: Mark-Compact 14.7 (27.1) -> 10.9 (31.1) MB, 4.42 / 0.00 ms  (+ 5.2 ms in 278 steps since start of marking, biggest step 0.1 ms, walltime since start of marking 63 ms) (average mu = 1.000, current mu = 1.000) finalize incremental marking via task; GC in old space requested')).toBe(true);
    expect(collections.line('[Nest] 7705  - 12/04/2026, 2:18:08 PM     LOG [sroi-ledger] listening on 127.0.0.1:3999')).toBe(false);
    // The start-up's compaction (gc() with --expose-gc): all of it in the pause.
    const mark = collections.mark();
    collections.line('[7705:0x221380f0]    54513 ms: Mark-Compact 584.6 (1119.1) -> 455.2 (592.2) MB, 1238.42 / 0.00 ms  (average mu = 0.917, current mu = 0.738) testing; GC in old space requested');
    expect(collections.since(0)).toEqual([
      { beforeMb: 1129.6, afterMb: 447.8, pauseMs: 29.04, markingMs: 232.2 },
      { beforeMb: 584.6, afterMb: 455.2, pauseMs: 1238.42, markingMs: 0 },
    ]);
    expect(describeFullCollections(collections.since(mark))).toBe('585 -> 455 MB: 1,238 ms pause + 0 ms of marking steps');
    expect(describeFullCollections(collections.since(collections.mark()))).toBe('none');
  });

  it('counts the main thread\u2019s full collections of a real Node process, not its worker thread\u2019s', () => {
    // The main thread allocates (and so traces) first, collects once, lets a worker collect twice, then collects again.
    const script = [
      "const { Worker } = require('node:worker_threads');",
      'const keep = []; for (let i = 0; i < 200000; i++) keep.push({ i, s: "x" + i });',
      'globalThis.gc();',
      "const worker = new Worker('const k = []; for (let i = 0; i < 100000; i++) k.push({ i }); globalThis.gc(); globalThis.gc();', { eval: true });",
      "worker.on('exit', () => { globalThis.gc(); console.log('kept', keep.length); });",
    ].join('\n');
    const run = spawnSync(process.execPath, ['--trace-gc', '--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toContain('kept 200000');
    const isolates = new Set(lines.filter((l) => l.includes('Mark-Compact')).map((l) => /^\[\d+:(0x[0-9a-f]+)\]/.exec(l)?.[1]));
    expect(isolates.size).toBe(2);
    const collections = new FullCollections();
    for (const line of lines) collections.line(line);
    const main = collections.since(0);
    // gc() twice on the main thread (V8 may add collections of its own, never the worker's).
    expect(main.filter((c) => c.markingMs === 0).length).toBeGreaterThanOrEqual(2);
    const all = lines.filter((l) => l.includes('Mark-Compact')).length;
    expect(main.length).toBeLessThanOrEqual(all - 2);
  });
});
