/** Test support: the read models of a folder, and a runner on them with short test timings. */
import type { EventStore } from '@sroi/event-store';
import { join } from 'node:path';
import { IntegrationLogProjection } from '../../integration/integration-log-projection';
import { ContractProjection } from '../contract-projection';
import { ContractTables } from '../contract-tables';
import { ProjectionRunner, type ProjectionRunnerOptions } from '../projection-runner';
import { READ_MODELS_FILE, ReadModelDatabase } from '../read-model-database';
import { SqliteContractReadModels } from '../sqlite-contract-read-models';
import { StreamContractStates } from '../stream-contract-states';

export interface ReadModelsFixture {
  file: string;
  database: ReadModelDatabase;
  tables: ContractTables;
  projection: ContractProjection;
  /** The integration log, which the service's runner applies in the same transaction. */
  integrationLog: IntegrationLogProjection;
  readModels: SqliteContractReadModels;
  runner: ProjectionRunner;
  close: () => Promise<void>;
}

export function readModelsIn(dir: string, store: EventStore, options: ProjectionRunnerOptions = {}, file = join(dir, READ_MODELS_FILE)): ReadModelsFixture {
  const database = new ReadModelDatabase(file);
  const tables = new ContractTables(database);
  const projection = new ContractProjection(tables);
  const integrationLog = new IntegrationLogProjection(database.db);
  const runner = new ProjectionRunner(store, database, [projection, integrationLog], { batchWindowMs: 5, idleCaughtUpMs: 50, retryInitialMs: 10, ...options });
  return {
    file,
    database,
    tables,
    projection,
    integrationLog,
    readModels: new SqliteContractReadModels(tables, new StreamContractStates(store)),
    runner,
    close: async () => {
      await runner.stop();
      database.close();
    },
  };
}

/** Resolves once `runner` has applied the store's head. */
export async function caughtUp(runner: ProjectionRunner, store: EventStore, timeoutMs = 10_000): Promise<void> {
  const head = await store.headPosition();
  if (head !== null && !(await runner.waitFor(head, timeoutMs))) {
    throw new Error(`runner did not reach ${head} (at ${runner.lastAppliedPosition()}, ${runner.state}: ${runner.lastError?.message})`);
  }
}

export async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
