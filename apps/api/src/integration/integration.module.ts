import { Global, Inject, Logger, Module, Optional, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from '@sroi/event-store';
import { ApiConfig } from '../config/api-config';
import { EVENT_STORE } from '../event-store/event-store.module';
import { ContractRepository } from '../contracts/contract-repository';
import { ContractsModule } from '../contracts/contracts.module';
import { Clock } from '../platform/clock';
import { StartupWork } from '../platform/startup-compaction';
import { ProjectionProgress } from '../projections/read-models';
import { SqliteContractReadModels } from '../projections/sqlite-contract-read-models';
import { FeedModule } from './feed/feed.module';
import { FeedOptions } from './feed/feed.options';
import { integrationStateFold, sharingIntegrationMapper } from './integration-mapper';
import { IntegrationSchemasController } from './integration-schemas.controller';
import { ObligationMonitor, ObligationMonitorOptions } from './obligation-monitor/obligation-monitor';
import { IntegrationPublisher, type PublicEventMapper } from './publisher/integration-publisher';
import { INTEGRATION_FILE, PublisherCheckpoint } from './publisher/publisher-checkpoint';
import { PublisherHandle } from './publisher/publisher-handle';
import { PublisherThread } from './publisher/publisher-thread';
import { WebhookOptions } from './webhooks/webhook-options';
import { WebhooksModule } from './webhooks/webhooks.module';

const logger = new Logger('Integration');

/**
 * Integrators: the public events, published from the contract events to a stream per
 * municipality (the publisher), and read from the integration log (a projection beside the read
 * models, see ProjectionsModule) by the SSE feed and the webhooks. The schemas are public. The
 * obligation monitor records, on the day it happens, a status change due to the date alone, which
 * the publisher then publishes too. The publisher runs on the event loop, or, with
 * SROI_PUBLISHER_THREAD=on, in a worker thread of its own (`PublisherThread`); either way it is
 * exported as a `PublisherHandle`, which /ready and /health report.
 */
@Global()
@Module({
  controllers: [IntegrationSchemasController],
  providers: [
    // The publisher's checkpoint, when the publisher runs on the event loop (its thread opens its own).
    { provide: PublisherCheckpoint, inject: [ApiConfig], useFactory: (config: ApiConfig) => (config.publisherThread ? null : new PublisherCheckpoint(config.file(INTEGRATION_FILE))) },
    {
      provide: PublisherHandle,
      inject: [ApiConfig, EVENT_STORE, PublisherCheckpoint, ContractRepository],
      useFactory: (config: ApiConfig, store: EventStore, checkpoint: PublisherCheckpoint | null, repository: ContractRepository): PublisherHandle => {
        if (!checkpoint) return new PublisherThread({ eventStore: config.eventStore, checkpointFile: config.file(INTEGRATION_FILE) }, logger);
        // On the event loop it shares the write side's folded states instead of folding its own.
        const folded = (contractId: string) => repository.peekState(contractId);
        return new IntegrationPublisher(store, checkpoint, sharingIntegrationMapper(folded) as PublicEventMapper<unknown>, { logger, stateFold: integrationStateFold(folded) });
      },
    },
    {
      provide: ObligationMonitor,
      // The service's clock (PlatformModule, global), so that a clock moved in a test moves the monitor too.
      inject: [EVENT_STORE, SqliteContractReadModels, ProjectionProgress, { token: Clock, optional: true }, { token: ObligationMonitorOptions, optional: true }],
      useFactory: (store: EventStore, readModels: SqliteContractReadModels, progress: ProjectionProgress, clock: Clock | undefined, options: ObligationMonitorOptions | undefined) => {
        const c = clock ?? new Clock();
        return new ObligationMonitor(store, readModels, progress, () => c.today(), options ?? new ObligationMonitorOptions(), logger);
      },
    },
  ],
  exports: [PublisherHandle],
})
export class IntegrationModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  /** The feed's and the webhooks' settings are read from `env` when the app is created (SROI_FEED_*, SROI_WEBHOOKS_*). */
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: IntegrationModule,
      imports: [ContractsModule, FeedModule.forRoot(FeedOptions.fromEnv(env)), WebhooksModule.forRoot(WebhookOptions.fromEnv(env))],
      providers: [{ provide: ObligationMonitorOptions, useValue: ObligationMonitorOptions.fromEnv(env) }],
    };
  }

  constructor(
    @Inject(PublisherHandle) private readonly publisher: PublisherHandle,
    @Inject(PublisherCheckpoint) private readonly checkpoint: PublisherCheckpoint | null,
    @Inject(ObligationMonitor) private readonly monitor: ObligationMonitor,
    @Optional() @Inject(StartupWork) startupWork: StartupWork | null,
  ) {
    startupWork?.register('integration publisher catch-up', () => (publisher.isCaughtUp() && publisher.isWarm()) || publisher.state === 'failed');
  }

  onApplicationBootstrap(): void {
    this.publisher.start();
    this.monitor.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.monitor.stop();
    await this.publisher.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.monitor.stop();
    await this.publisher.stop();
    this.checkpoint?.close();
  }
}
