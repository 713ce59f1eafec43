/**
 * The event store contract on EventStoreDB. It needs a running server, which these machines
 * cannot start: it runs when EVENTSTORE_CONNECTION_STRING is set (`npm run test:esdb`, see the
 * README) and is reported as skipped otherwise — never as passed.
 */
import { EventStoreDbEventStore } from './eventstoredb';
import { describeEventStoreContract } from './testing/event-store.contract';

const connectionString = process.env['EVENTSTORE_CONNECTION_STRING']?.trim();

if (connectionString) {
  describeEventStoreContract('eventstoredb', {
    open: async () => EventStoreDbEventStore.fromConnectionString(connectionString),
    config: () => ({ engine: 'eventstoredb', connectionString }),
    consecutivePositions: false,
  });
} else {
  describe.skip('event store contract: eventstoredb (set EVENTSTORE_CONNECTION_STRING to run it)', () => {
    it('needs a running EventStoreDB server', () => {
      throw new Error('not run without a server');
    });
  });
}
