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

  it('`npm start` opens the embedded store in SROI_DATA_DIR and reports it', async () => {
    const dataDir = join(dir, 'start');
    const { stdout } = await promisify(execFile)('npm', ['start', '--silent'], {
      cwd: join(__dirname, '..', '..', '..'),
      env: { ...process.env, SROI_DATA_DIR: dataDir, EVENTSTORE_CONNECTION_STRING: '' },
    });
    expect(stdout).toContain(`sroi-ledger event store (sqlite) at ${join(dataDir, 'events.sqlite')}`);
    expect(stdout).toContain('"events": 0');
  }, 30_000);
});
