import {
  Inject,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ApiConfig } from '../../config/api-config';
import { IntegrationLog } from '../integration-log';
import { UrlPolicy } from './url-policy';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookOptions } from './webhook-options';
import { WEBHOOKS_FILE, WebhookStore } from './webhook-store';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

const logger = new Logger('Webhooks');

export interface WebhooksModuleImports {
  /** Modules to import, e.g. the one that exports `IntegrationLog` when it is not global. */
  imports?: ModuleMetadata['imports'];
}

/**
 * Signed webhooks (Standard Webhooks) of the public integration events:
 * `/v1/integration/webhooks` for integrators, and the dispatcher, which starts on bootstrap (without
 * waiting for anything) and stops before shutdown, ahead of the store closing. State in
 * `webhooks.sqlite` of the data folder. Needs `ApiConfig` and `IntegrationLog` from the app.
 */
@Module({})
export class WebhooksModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  static forRoot(options: WebhookOptions = WebhookOptions.fromEnv(), { imports = [] }: WebhooksModuleImports = {}): DynamicModule {
    return {
      module: WebhooksModule,
      imports,
      controllers: [WebhooksController],
      providers: [
        { provide: WebhookOptions, useValue: options },
        {
          provide: WebhookStore,
          inject: [ApiConfig, WebhookOptions],
          useFactory: (config: ApiConfig, o: WebhookOptions) => new WebhookStore(config.file(WEBHOOKS_FILE), { deliveryLogLimit: o.deliveryLogLimit }),
        },
        {
          provide: UrlPolicy,
          inject: [WebhookOptions],
          useFactory: (o: WebhookOptions) => new UrlPolicy({ allowLoopback: o.allowLoopback, resolve: o.resolve }),
        },
        {
          provide: WebhookDispatcher,
          inject: [WebhookStore, IntegrationLog, UrlPolicy, WebhookOptions],
          useFactory: (store: WebhookStore, log: IntegrationLog, policy: UrlPolicy, o: WebhookOptions) => new WebhookDispatcher(store, log, policy, o, logger),
        },
        {
          provide: WebhooksService,
          inject: [WebhookStore, UrlPolicy, WebhookDispatcher, IntegrationLog, WebhookOptions],
          useFactory: (store: WebhookStore, policy: UrlPolicy, dispatcher: WebhookDispatcher, log: IntegrationLog, o: WebhookOptions) =>
            new WebhooksService(store, policy, dispatcher, log, o),
        },
      ],
      exports: [WebhookStore, WebhookDispatcher],
    };
  }

  constructor(
    @Inject(WebhookDispatcher) private readonly dispatcher: WebhookDispatcher,
    @Inject(WebhookStore) private readonly store: WebhookStore,
  ) {}

  onApplicationBootstrap(): void {
    this.dispatcher.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
  }

  onApplicationShutdown(): void {
    this.store.close();
  }
}
