import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/**
 * `npm run bench:rebuild` end to end on a small store, as its npm script runs it: it generates the
 * store, compiles its child from the sources and rebuilds in that child. Its child once lacked a
 * folder the rebuild had come to import, and the benchmark failed for two days unnoticed; this runs
 * it in `npm test`. Times are not asserted (a benchmark's figures are not a test's): only that
 * the child rebuilt every event of the store and the benchmark printed its table.
 */
describe('bench:rebuild (the read models\u2019 rebuild benchmark)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'sroi-rebuild-bench-spec-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a store, rebuilds it in its compiled child and reports every event it holds', () => {
    const run = spawnSync(process.execPath, ['-r', '@swc-node/register', 'test/bench/rebuild.bench.ts'], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json', BENCH_EVENTS: '3000', BENCH_EVENTS_PER_CONTRACT: '100', BENCH_DIR: dir, BENCH_REUSE: '0' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).not.toMatch(/rebuild child exited|Cannot find module/);
    expect(run.stdout).toMatch(/^Generating 3,000 events \(30 contracts\)/m);
    // The child's own count of what it rebuilt, in the benchmark's table.
    expect(run.stdout).toMatch(/^\| events +\| +3,000 \|/m);
    expect(run.stdout).toMatch(/^\| contracts +\| +30 \|/m);
    expect(run.stdout).toMatch(/^\| peak RSS of the rebuild \(MB\) +\| +\d+ \|/m);
    // The compiled child and its read models are removed afterwards; the generated store stays for reuse.
    const left = readdirSync(join(dir, 'sroi-rebuild-bench'));
    expect(left).toContain('events-3000-100.sqlite');
    expect(left.filter((name) => !name.startsWith('events-3000-100.sqlite'))).toEqual([]);
  });
});
