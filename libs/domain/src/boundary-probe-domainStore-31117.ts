import { SqliteEventStore } from '@sroi/event-store';
export const x = SqliteEventStore;
