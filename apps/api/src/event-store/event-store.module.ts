import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { openEventStore, type EventStore } from '@sroi/event-store';
import { ApiConfig } from '../config/api-config';

/** Injection token of the process's one `EventStore` (SQLite or EventStoreDB, per `ApiConfig`). */
export const EVENT_STORE = Symbol('EVENT_STORE');

@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [ApiConfig],
      useFactory: (config: ApiConfig): Promise<EventStore> => openEventStore(config.eventStore),
    },
  ],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
