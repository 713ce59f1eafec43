import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventStoreConfigFromEnv, openEventStore } from './config';

const workspace = resolve(__dirname, '../../..');

describe('event store configuration', () => {
  it('chooses the SQLite file in SROI_DATA_DIR unless EVENTSTORE_CONNECTION_STRING is set', () => {
    expect(eventStoreConfigFromEnv({ SROI_DATA_DIR: '/srv/sroi' })).toEqual({ engine: 'sqlite', path: join('/srv/sroi', 'events.sqlite'), synchronous: 'FULL' });
    expect(eventStoreConfigFromEnv({ EVENTSTORE_CONNECTION_STRING: ' esdb://db:2113?tls=false ' })).toEqual({ engine: 'eventstoredb', connectionString: 'esdb://db:2113?tls=false' });
    expect(() => eventStoreConfigFromEnv({ SROI_SQLITE_SYNCHRONOUS: 'sometimes' })).toThrow(/SROI_SQLITE_SYNCHRONOUS must be one of/);
    expect(() => eventStoreConfigFromEnv({ EVENTSTORE_CONNECTION_STRING: 'garbage' })).toThrow("EVENTSTORE_CONNECTION_STRING must be an EventStoreDB connection string like esdb://host:2113?tls=false, not 'garbage'");
    expect(eventStoreConfigFromEnv({ EVENTSTORE_CONNECTION_STRING: 'esdb+discover://cluster.local:2113' })).toMatchObject({ engine: 'eventstoredb' });
  });

  it('opens either engine (the EventStoreDB client is loaded when asked for, and connects on first use)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sroi-config-'));
    try {
      const sqlite = await openEventStore({ engine: 'sqlite', path: join(dir, 'events.sqlite'), synchronous: 'NORMAL' });
      expect(sqlite.engine).toBe('sqlite');
      await sqlite.close();
      const esdb = await openEventStore({ engine: 'eventstoredb', connectionString: 'esdb://127.0.0.1:1?tls=false' });
      expect(esdb.engine).toBe('eventstoredb');
      await esdb.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not load the EventStoreDB client (gRPC: ~250 ms, ~20 MB per thread) for the SQLite engine', () => {
    // A process of its own: jest's module registry would not show what Node itself loads.
    const script = `
      require('./libs/event-store/src/index.ts');
      const loaded = (name) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/'));
      process.stdout.write(JSON.stringify({ sqlite: loaded('better-sqlite3'), client: loaded('@eventstore/db-client'), grpc: loaded('@grpc/grpc-js') }));`;
    const output = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: workspace,
      env: { ...process.env, SWC_NODE_PROJECT: join(workspace, 'tsconfig.base.json') },
      encoding: 'utf8',
    });
    expect(JSON.parse(output)).toEqual({ sqlite: true, client: false, grpc: false });
  });
});
