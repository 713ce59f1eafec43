import * as domain from '@sroi/domain';
export const x = domain;
