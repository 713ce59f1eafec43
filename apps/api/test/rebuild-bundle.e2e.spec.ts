/**
 * `npm run rebuild` as shipped: the webpack bundle dist/apps/api/rebuild.js (the tests of rebuild.ts
 * run it from the TypeScript sources). Built here into a folder of the workspace (the bundle
 * requires its packages from node_modules), then run on a store and compared with a rebuild run
 * from the sources.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

  it('gives the rows of a rebuild run from the sources, with its worker thread loaded from the bundle', async () => {
    const store = openStore(data.dir);
    try {
      await seedPortfolio(new Ledger(store));
      // Public events to copy: the contract rows are then built in the worker thread (forced below).
      await store.appendToStream('integration-utrecht', [{ type: 'contract.registered', data: { id: 'e-1', type: 'contract.registered', municipality: 'Utrecht', contractId: 'c-1' } }]);
      await rebuildReadModels(store, join(data.dir, 'reference.sqlite'));
    } finally {
      await store.close();
    }
    const run = spawnSync(process.execPath, [join(out, 'rebuild.js')], {
      cwd: root,
      env: { ...process.env, SROI_DATA_DIR: data.dir, SROI_REBUILD_PARALLEL_FROM: '0', EVENTSTORE_CONNECTION_STRING: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Rebuilt 5 contracts from \d+ events in [\d.]+ s \(\d+ events\/s, peak memory \d+ MB\)/);
    const [rebuilt, reference] = [new ReadModelDatabase(join(data.dir, READ_MODELS_FILE)), new ReadModelDatabase(join(data.dir, 'reference.sqlite'))];
    try {
      expect(dumpReadModels(rebuilt.db)).toEqual(dumpReadModels(reference.db));
    } finally {
      rebuilt.close();
      reference.close();
    }
  }, 60_000);

  it('fails with a clear message and exit code 1 on a malformed contract event, and leaves no file behind', async () => {
    const store = openStore(data.dir);
    try {
      await seedPortfolio(new Ledger(store));
      await store.appendToStream('contract-c-1', [{ type: 'ContractRenamed', data: { title: 'x' } }]);
    } finally {
      await store.close();
    }
    const run = spawnSync(process.execPath, [join(out, 'rebuild.js')], {
      cwd: root,
      env: { ...process.env, SROI_DATA_DIR: data.dir, EVENTSTORE_CONNECTION_STRING: '' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^rebuild: Cannot apply ContractRenamed at revision \d+ of 'contract-c-1' \(position \d+\): unknown event type 'ContractRenamed'\n$/);
    expect(readdirSync(data.dir).filter((f) => f.includes('read-models'))).toEqual([]);
  });

  it('refuses a malformed SROI_REBUILD_PARALLEL_FROM with a clear message', () => {
    const run = spawnSync(process.execPath, [join(out, 'rebuild.js')], {
      cwd: root,
      env: { ...process.env, SROI_DATA_DIR: data.dir, SROI_REBUILD_PARALLEL_FROM: 'soon', EVENTSTORE_CONNECTION_STRING: '' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("rebuild: SROI_REBUILD_PARALLEL_FROM must be a whole number of 0 or more, not 'soon'");
  });
});
