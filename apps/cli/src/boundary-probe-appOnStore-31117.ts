import * as store from '@sroi/event-store';
export const x = store;
