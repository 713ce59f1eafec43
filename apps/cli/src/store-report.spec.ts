import { SqliteEventStore } from '@sroi/event-store';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { reportStore } from './store-report';

const dir = mkdtempSync(join(tmpdir(), 'sroi-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('store report', () => {
  it('counts the events, streams and event types the store holds', async () => {
    const store = new SqliteEventStore({ path: join(dir, 'report', 'events.sqlite') });
    await store.appendToStream('contract-1', [
      { type: 'ContractRegistered', data: {} },
      { type: 'PlacementRecorded', data: {} },
    ]);
    await store.appendToStream('contract-2', [{ type: 'ContractRegistered', data: {} }]);
    const report = await reportStore(store);
    await store.close();
    expect(report).toMatchObject({
      engine: 'sqlite',
      events: 3,
      streams: 2,
      headPosition: '3',
      eventTypes: { ContractRegistered: 2, PlacementRecorded: 1 },
    });
  });

  // `npm start` is the HTTP service (apps/api) now; the CLI's `info` command is run directly.
  it('the `info` command opens the embedded store in SROI_DATA_DIR and reports it', async () => {
    const dataDir = join(dir, 'start');
    const root = join(__dirname, '..', '..', '..');
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', join(root, 'apps/cli/src/main.ts'), 'info'], {
      cwd: root,
      env: { ...process.env, SROI_DATA_DIR: dataDir, EVENTSTORE_CONNECTION_STRING: '', SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
    });
    expect(stdout).toContain(`sroi-ledger event store (sqlite) at ${join(dataDir, 'events.sqlite')}`);
    expect(stdout).toContain('"events": 0');
  }, 30_000);
});
