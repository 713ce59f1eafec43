/**
 * The integration publisher on EventStoreDB, read back through a persistent subscription group
 * on a municipality's stream, as the README shows integrators. It needs a running server, which
 * these machines cannot start: it runs when EVENTSTORE_CONNECTION_STRING is set (`npm run
 * test:esdb`) and is reported as skipped otherwise — never as passed.
 */
import { EventStoreDBClient, persistentSubscriptionToStreamSettingsFromDefaults, START, type JSONType } from '@eventstore/db-client';
import { openEventStore } from '@sroi/event-store';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { tempDir } from '../../projections/testing/ledger';
import { integrationStream } from '../integration-streams';
import { testMapper } from '../testing/test-mapper';
import { IntegrationPublisher, type PublicEventMapper } from './integration-publisher';
import { INTEGRATION_FILE, PublisherCheckpoint } from './publisher-checkpoint';

const connectionString = process.env['EVENTSTORE_CONNECTION_STRING']?.trim();

if (connectionString) {
  describe('IntegrationPublisher on EventStoreDB, read by a persistent subscription group', () => {
    it('delivers every public event of a municipality to the group, once, in order', async () => {
      const tmp = tempDir('sroi-publisher-esdb-');
      const store = await openEventStore({ engine: 'eventstoredb', connectionString });
      const client = EventStoreDBClient.connectionString(connectionString);
      // A municipality of its own per run: the server keeps what earlier runs wrote.
      const municipality = `Testgemeente ${randomUUID().slice(0, 8)}`;
      const checkpoint = new PublisherCheckpoint(join(tmp.dir, INTEGRATION_FILE));
      const publisher = new IntegrationPublisher(store, checkpoint, testMapper as PublicEventMapper<unknown>, { batchWindowMs: 2 });
      try {
        const contractId = `esdb-${randomUUID()}`;
        await store.appendToStream(`contract-${contractId}`, [
          { type: 'ContractRegistered', data: { contractId, municipality }, metadata: { schemaVersion: 1 } },
          ...Array.from({ length: 5 }, (_, i) => ({ type: 'PurchaseRecorded', data: { contributionId: `k-${i}` }, metadata: { schemaVersion: 1 } })),
        ]);
        const head = await store.headPosition();
        publisher.start();
        const started = Date.now();
        while ((publisher.lastPublishedPosition() ?? -1n) < (head as bigint)) {
          if (publisher.state === 'failed' || Date.now() - started > 30_000) throw new Error(`publisher: ${publisher.state} ${publisher.lastError?.message ?? ''}`);
          await new Promise((r) => setTimeout(r, 20));
        }

        const stream = integrationStream(municipality);
        const group = 'finance-system';
        await client.createPersistentSubscriptionToStream(stream, group, persistentSubscriptionToStreamSettingsFromDefaults({ startFrom: START }));
        const subscription = client.subscribeToPersistentSubscriptionToStream<{ type: string; data: JSONType }>(stream, group);
        const received: Array<{ id: string; contractId: string }> = [];
        for await (const resolved of subscription) {
          const envelope = resolved.event?.data as { id: string; contractId: string };
          received.push({ id: envelope.id, contractId: envelope.contractId });
          await subscription.ack(resolved);
          if (received.length === 7) break; // 6 events, and a second public event for the 3rd and 6th
        }
        await subscription.unsubscribe();
        expect(received).toHaveLength(7);
        expect(new Set(received.map((r) => r.id)).size).toBe(7);
        expect(received.every((r) => r.contractId === contractId)).toBe(true);
      } finally {
        await publisher.stop();
        checkpoint.close();
        await client.dispose();
        await store.close();
        tmp.remove();
      }
    }, 60_000);
  });
} else {
  describe.skip('IntegrationPublisher on EventStoreDB (set EVENTSTORE_CONNECTION_STRING to run it)', () => {
    it('needs a running EventStoreDB server', () => {
      throw new Error('not run without a server');
    });
  });
}
