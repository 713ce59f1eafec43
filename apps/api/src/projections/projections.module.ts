import {
  Inject,
  Logger,
  Module,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { EventStore } from '@sroi/event-store';
import { ApiConfig } from '../config/api-config';
import { Clock } from '../platform/clock';
import { StartupWork } from '../platform/startup-compaction';
import { EVENT_STORE } from '../event-store/event-store.module';
import { IntegrationLog } from '../integration/integration-log';
import { IntegrationLogProjection } from '../integration/integration-log-projection';
import { ContractProjection } from './contract-projection';
import { ContractTables } from './contract-tables';
import { ProjectionHealth } from './projection-health';
import { ProjectionRunner } from './projection-runner';
import { buildNewReadModels } from './rebuild';
import { READ_MODELS_FILE, ReadModelDatabase } from './read-model-database';
import { ContractReadModels, ContractStates, ProjectionProgress } from './read-models';
import { SnapshotRefresher } from './snapshot-refresher';
import { SqliteContractReadModels } from './sqlite-contract-read-models';
import { StreamContractStates } from './stream-contract-states';

/** The ContractStates the read models use: the service's (the write side's cache), or, for this module on its own, the store's streams. */
const STATES = Symbol('read-side contract states');

const logger = new Logger('Projections');

/**
 * The read side: `read-models.sqlite` in the data folder, fed by the projection runner from the
 * store's `$all` subscription. Figures are computed from the folded states `ContractStates` gives
 * (the service's ContractStatesModule, global; without it, read from the store's streams). Exports `ContractReadModels` (summary, portfolio; as
 * `SqliteContractReadModels` also what the obligation monitor asks of the tables), `IntegrationLog`
 * (the public events, for the SSE feed and the webhooks),
 * `ProjectionProgress` (last applied position, waitFor) and `ProjectionHealth` (for /health and
 * /ready). The runner starts on bootstrap without blocking it, and stops before shutdown, ahead of
 * the event store's own shutdown hook. The {@link SnapshotRefresher} brings the figure snapshots
 * to the service clock's date in the background, at start and when the date changes.
 */
@Module({
  providers: [
    {
      provide: ReadModelDatabase,
      inject: [ApiConfig],
      useFactory: (config: ApiConfig): ReadModelDatabase => {
        const database = new ReadModelDatabase(config.file(READ_MODELS_FILE));
        if (database.created) logger.log(`Read models at ${database.path} are new: rebuilding them from position 0`);
        return database;
      },
    },
    { provide: ContractTables, inject: [ReadModelDatabase], useFactory: (database: ReadModelDatabase) => new ContractTables(database) },
    { provide: IntegrationLogProjection, inject: [ReadModelDatabase], useFactory: (database: ReadModelDatabase) => new IntegrationLogProjection(database.db) },
    { provide: IntegrationLog, useExisting: IntegrationLogProjection },
    {
      provide: ProjectionRunner,
      inject: [EVENT_STORE, ReadModelDatabase, ContractTables, IntegrationLogProjection],
      useFactory: (store: EventStore, database: ReadModelDatabase, tables: ContractTables, integrationLog: IntegrationLogProjection) =>
        new ProjectionRunner(store, database, [new ContractProjection(tables), integrationLog], {
          logger,
          // New read models over a large SQLite log are built as a rebuild builds them, in place.
          initialBuild: async (signal) => {
            const started = performance.now();
            const built = await buildNewReadModels(store, database, { signal });
            if (built) {
              const seconds = ((performance.now() - started) / 1000).toFixed(1);
              logger.log(`Read models built from ${built.events} events (${built.contracts} contracts) in ${seconds} s`);
            }
            return built;
          },
        }),
    },
    {
      provide: STATES,
      inject: [EVENT_STORE, { token: ContractStates, optional: true }],
      useFactory: (store: EventStore, states: ContractStates | undefined) => states ?? new StreamContractStates(store),
    },
    {
      provide: SqliteContractReadModels,
      inject: [ContractTables, STATES],
      useFactory: (tables: ContractTables, states: ContractStates) => new SqliteContractReadModels(tables, states),
    },
    {
      provide: SnapshotRefresher,
      // The service's clock (PlatformModule, global); a module on its own uses a clock of its own.
      inject: [SqliteContractReadModels, ProjectionRunner, STATES, { token: Clock, optional: true }],
      useFactory: (readModels: SqliteContractReadModels, runner: ProjectionRunner, states: ContractStates, clock: Clock | undefined) => {
        const c = clock ?? new Clock();
        // The figures of every contract are computed from their folded states: wait for the cache of them too.
        return new SnapshotRefresher(readModels, () => c.today(), { logger, ready: () => runner.isCaughtUp() && states.isWarm() });
      },
    },
    { provide: ContractReadModels, useExisting: SqliteContractReadModels },
    { provide: ProjectionProgress, useExisting: ProjectionRunner },
    { provide: ProjectionHealth, inject: [ProjectionRunner], useFactory: (runner: ProjectionRunner) => new ProjectionHealth(runner) },
  ],
  exports: [ContractReadModels, SqliteContractReadModels, ProjectionProgress, ProjectionHealth, IntegrationLog],
})
export class ProjectionsModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(ProjectionRunner) private readonly runner: ProjectionRunner,
    @Inject(ReadModelDatabase) private readonly database: ReadModelDatabase,
    @Inject(SnapshotRefresher) private readonly refresher: SnapshotRefresher,
    // The service's (PlatformModule, global); none for this module on its own.
    @Optional() @Inject(StartupWork) startupWork: StartupWork | null,
  ) {
    startupWork?.register('projections catch-up', () => runner.isCaughtUp() || runner.state === 'failed');
  }

  onApplicationBootstrap(): void {
    this.runner.start();
    this.refresher.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.refresher.stop();
    await this.runner.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.refresher.stop();
    await this.runner.stop();
    this.database.close();
  }
}
