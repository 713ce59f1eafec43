/**
 * `npm run rebuild` as shipped: the webpack bundle dist/apps/api/rebuild.js, whose worker threads
 * load that same bundle (the tests of rebuild.ts run it from the TypeScript sources). Built here
 * into a folder of the workspace (the bundle requires its packages from node_modules), then run on a
 * store with the workers forced by the environment, and compared with a rebuild on one thread.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { READ_MODELS_FILE, ReadModelDatabase, dumpReadModels } from '../src/projections/read-model-database';
import { rebuildReadModels } from '../src/projections/rebuild';
import { Ledger, openStore, seedPortfolio, tempDir } from '../src/projections/testing/ledger';

const root = resolve(__dirname, '../../..');

describe('npm run rebuild (the built dist/apps/api/rebuild.js)', () => {
  let out: string;
  let data: ReturnType<typeof tempDir>;

  beforeAll(() => {
    mkdirSync(join(root, 'tmp'), { recursive: true });
    out = mkdtempSync(join(root, 'tmp', 'rebuild-bundle-'));
    const build = spawnSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--config', 'apps/api/webpack.config.js', '--output-path', out], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`webpack failed: ${build.stdout}${build.stderr}`);
  }, 120_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  beforeEach(() => {
    data = tempDir('sroi-rebuild-bundle-');
  });

  afterEach(() => data.remove());

  it('builds in worker threads loaded from the bundle, and gives the rows of a rebuild on one thread', async () => {
    const store = openStore(data.dir);
    try {
      await seedPortfolio(new Ledger(store));
      await rebuildReadModels(store, join(data.dir, 'one-thread.sqlite'), { workers: 1 });
    } finally {
      await store.close();
    }
    const run = spawnSync(process.execPath, [join(out, 'rebuild.js')], {
      cwd: root,
      env: { ...process.env, SROI_DATA_DIR: data.dir, SROI_REBUILD_WORKERS: '2', SROI_REBUILD_PARALLEL_FROM: '0', EVENTSTORE_CONNECTION_STRING: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Rebuilt 5 contracts from \d+ events in [\d.]+ s \(\d+ events\/s, 2 threads, peak memory \d+ MB\)/);
    const [rebuilt, reference] = [new ReadModelDatabase(join(data.dir, READ_MODELS_FILE)), new ReadModelDatabase(join(data.dir, 'one-thread.sqlite'))];
    try {
      expect(dumpReadModels(rebuilt.db)).toEqual(dumpReadModels(reference.db));
    } finally {
      rebuilt.close();
      reference.close();
    }
  }, 60_000);

  it('refuses a malformed SROI_REBUILD_WORKERS with a clear message', () => {
    const run = spawnSync(process.execPath, [join(out, 'rebuild.js')], {
      cwd: root,
      env: { ...process.env, SROI_DATA_DIR: data.dir, SROI_REBUILD_WORKERS: 'two', EVENTSTORE_CONNECTION_STRING: '' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("rebuild: SROI_REBUILD_WORKERS must be a whole number of 0 or more, not 'two'");
  });
});
