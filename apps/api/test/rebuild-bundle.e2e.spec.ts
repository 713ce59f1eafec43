/**
 * The bundles as shipped. `npm run rebuild`: the webpack bundle dist/apps/api/rebuild.js (the tests of rebuild.ts
 * run it from the TypeScript sources). Built here into a folder of the workspace (the bundle
 * requires its packages from node_modules), then run on a store and compared with a rebuild run
 * from the sources.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { READ_MODELS_FILE, ReadModelDatabase, dumpReadModels } from '../src/projections/read-model-database';
import { rebuildReadModels } from '../src/projections/rebuild';
import { Ledger, openStore, seedPortfolio, tempDir } from '../src/projections/testing/ledger';

const root = resolve(__dirname, '../../..');

let out: string;

beforeAll(() => {
  mkdirSync(join(root, 'tmp'), { recursive: true });
  out = mkdtempSync(join(root, 'tmp', 'rebuild-bundle-'));
  const build = spawnSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--config', 'apps/api/webpack.config.js', '--output-path', out], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`webpack failed: ${build.stdout}${build.stderr}`);
}, 120_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run rebuild (the built dist/apps/api/rebuild.js)', () => {
  let data: ReturnType<typeof tempDir>;

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

/** `npm start`'s dist/apps/api/main.js: what an operator sees when it cannot start, and when it is stopped. */
describe('the built service (dist/apps/api/main.js) at start and stop', () => {
  let data: ReturnType<typeof tempDir>;
  beforeEach(() => {
    data = tempDir('sroi-service-bundle-');
  });
  afterEach(() => data.remove());

  const env = (extra: Record<string, string>) => ({ ...process.env, SROI_DATA_DIR: data.dir, SROI_DEMO: 'off', HOST: '127.0.0.1', EVENTSTORE_CONNECTION_STRING: '', ...extra });
  const start = (extra: Record<string, string>) => spawnSync(process.execPath, [join(out, 'main.js')], { cwd: root, env: env(extra), encoding: 'utf8', timeout: 60_000 });
  /** One line naming the problem: no stack. */
  const oneLine = (stderr: string) => {
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  };

  it('refuses settings it does not know in one line, before touching the data folder', () => {
    const run = start({ SROI_DEMO: 'false-ish', PORT: '0' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("sroi-ledger api: SROI_DEMO must be on or off, not 'false-ish'\n");
    expect(readdirSync(data.dir)).toEqual([]);
    const esdb = start({ EVENTSTORE_CONNECTION_STRING: 'garbage', PORT: '0' });
    expect(esdb.status).toBe(1);
    oneLine(esdb.stderr);
    expect(esdb.stderr).toContain('EVENTSTORE_CONNECTION_STRING must be an EventStoreDB connection string');
    for (const [name, value] of [
      ['SROI_OBLIGATION_CHECK_MS', 'abc'],
      ['SROI_WEBHOOKS_RETRY_MAX_MS', '0'],
      ['SROI_FEED_HEARTBEAT_MS', '0'],
    ]) {
      const run = start({ [name]: value, PORT: '0' });
      expect(run.status).toBe(1);
      oneLine(run.stderr);
      expect(run.stderr).toContain(name);
    }
    expect(existsSync(join(data.dir, 'tokens.json'))).toBe(false);
  });

  it('with its port taken: one line naming the port, and no tokens printed or kept for a service that never ran', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (taken.address() as AddressInfo).port;
      const run = start({ PORT: String(port) });
      expect(run.status).toBe(1);
      oneLine(run.stderr);
      expect(run.stderr).toContain(`PORT ${port} on 127.0.0.1 is in use by another program`);
      expect(run.stdout).not.toContain('shown once');
      expect(existsSync(join(data.dir, 'tokens.json'))).toBe(false);
      expect(existsSync(join(data.dir, 'events.sqlite'))).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('names the tokens file and the entries of a token given twice; names a data folder that is a file', () => {
    const tokens = join(data.dir, 'tokens.json');
    const entry = (role: string) => ({ tokenSha256: 'a'.repeat(64), subject: role, role, municipality: 'Utrecht' });
    writeFileSync(tokens, JSON.stringify([entry('advisor'), entry('auditor')]));
    const twice = start({ PORT: '0' });
    expect(twice.status).toBe(1);
    oneLine(twice.stderr);
    expect(twice.stderr).toContain(`${tokens}[1]: the same tokenSha256 as ${tokens}[0]`);
    writeFileSync(tokens, '[{"tokenSha256": ');
    const broken = start({ PORT: '0' });
    oneLine(broken.stderr);
    expect(broken.stderr).toContain(`${tokens}: not valid JSON`);
    const file = join(data.dir, 'a-file');
    writeFileSync(file, '');
    const notAFolder = start({ PORT: '0', SROI_DATA_DIR: file });
    expect(notAFolder.status).toBe(1);
    expect(notAFolder.stderr).toBe(`sroi-ledger api: SROI_DATA_DIR ${file} cannot hold the service's data: it is a file, not a folder\n`);
  });

  it('stops on SIGTERM with exit code 0, saying so', async () => {
    const child = spawn(process.execPath, [join(out, 'main.js')], { cwd: root, env: env({ PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('listening on port') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stdout).toContain('listening on port');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/SIGTERM: stopping[\s\S]*stopped/);
  }, 60_000);
});
