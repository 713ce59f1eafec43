export {
  EventStoreDbEventStore,
  EventStoreDbAllSubscription,
  probeEventStoreDb,
  type EventStoreDbEventStoreOptions,
  type ProbeResult,
  type SubscriptionRetryOptions,
} from './eventstoredb-event-store';
