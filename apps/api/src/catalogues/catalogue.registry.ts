import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  decideCatalogue,
  evolveCatalogue,
  findVersion,
  initialCatalogueState,
  shippedCatalogueEvents,
  type CatalogueState,
  type CatalogueVersion,
  type CatalogueVersionPublished,
} from '@sroi/domain';
import { StreamNotFoundError, WrongExpectedVersionError, type EventStore } from '@sroi/event-store';
import { EVENT_STORE } from '../event-store/event-store.module';
import { uuidv5 } from '../platform/ids';
import { CATALOGUE_STREAM_PREFIX, catalogueStream, metadataFor, toCatalogueEvent, toEventData, type CommandEnvelope } from '../shared/event-codec';

const REFRESH_MS = 1000;

export const SYSTEM_ENVELOPE = (what: string): CommandEnvelope => ({
  principal: { subject: 'sroi-ledger', role: 'system' },
  correlationId: uuidv5(`bootstrap:${what}`),
  commandId: uuidv5(`command:${what}`),
  idempotencyKey: null,
});

/**
 * The catalogue versions in the store. They are read from the catalogue streams through $all
 * (after the last position seen, at most once a second, or at once when a command needs them),
 * so a version published by another instance is seen too.
 */
@Injectable()
export class CatalogueRegistry {
  private readonly logger = new Logger('Catalogues');
  private list: CatalogueVersion[] = [];
  private after: bigint | 'start' = 'start';
  private refreshedAt = 0;
  private refreshing: Promise<void> | null = null;
  private seeded: Promise<void> | null = null;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async versions(fresh = false): Promise<readonly CatalogueVersion[]> {
    if (fresh || Date.now() - this.refreshedAt > REFRESH_MS) await this.refresh();
    return this.list;
  }

  async find(catalogueId: string, version: string, fresh = false): Promise<CatalogueVersion | undefined> {
    return findVersion(await this.versions(fresh), { catalogueId, version });
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        for await (const r of this.store.readAll({ after: this.after, filter: { streamPrefixes: [CATALOGUE_STREAM_PREFIX], eventTypes: ['CatalogueVersionPublished'] } })) {
          const v = (toCatalogueEvent(r) as CatalogueVersionPublished).data.catalogue;
          if (!findVersion(this.list, v)) this.list = [...this.list, v];
          this.after = r.position;
        }
        this.refreshedAt = Date.now();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /**
   * Publishes the shipped catalogue versions into every catalogue stream that does not exist yet.
   * Event ids are derived from catalogue and version, so instances starting at once write them once.
   */
  ensureShipped(): Promise<void> {
    this.seeded ??= (async () => {
      for (const [catalogueId, events] of Object.entries(shippedCatalogueEvents())) {
        const stream = catalogueStream(catalogueId);
        try {
          await this.store.readStream(stream, { maxCount: 1 });
          continue;
        } catch (error) {
          if (!(error instanceof StreamNotFoundError)) throw error;
        }
        const envelope = SYSTEM_ENVELOPE(`catalogue:${catalogueId}`);
        const data = events.map((e) => toEventData(e, metadataFor(envelope, 'PublishCatalogueVersion', e.schemaVersion), uuidv5(`catalogue:${catalogueId}:${e.data.catalogue.version}`)));
        try {
          await this.store.appendToStream(stream, data, { expectedRevision: 'no_stream' });
          this.logger.log(`published the shipped versions of ${catalogueId}: ${events.map((e) => e.data.catalogue.version).join(', ')}`);
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
        }
      }
      await this.refresh();
    })();
    return this.seeded;
  }

  /** Publishes a new version (admin), decided against the catalogue stream's current state. */
  async publish(version: CatalogueVersion, envelope: CommandEnvelope): Promise<{ revision: bigint; position: bigint }> {
    const stream = catalogueStream(version.catalogueId);
    for (let attempt = 0; ; attempt++) {
      let state: CatalogueState = initialCatalogueState;
      let revision: bigint | null = null;
      try {
        for (const r of await this.store.readStream(stream)) {
          state = evolveCatalogue(state, toCatalogueEvent(r));
          revision = r.revision;
        }
      } catch (error) {
        if (!(error instanceof StreamNotFoundError)) throw error;
      }
      const events = decideCatalogue({ type: 'PublishCatalogueVersion', data: { catalogue: version } }, state);
      try {
        const result = await this.store.appendToStream(
          stream,
          events.map((e) => toEventData(e, metadataFor(envelope, 'PublishCatalogueVersion', e.schemaVersion))),
          { expectedRevision: revision ?? 'no_stream' },
        );
        await this.refresh();
        return { revision: result.nextExpectedRevision, position: result.position };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt > 0) throw error;
      }
    }
  }
}
