/**
 * The catalogue stream of one catalogue (e.g. `utrecht`): versions enter it only through
 * `CatalogueVersionPublished` events, the shipped data included.
 */
import { compareDates } from '../shared/dates';
import { refuse } from '../shared/errors';
import { validateCatalogueVersion, refLabel } from './catalogue';
import { SHIPPED_CATALOGUE_VERSIONS } from './shipped';
import type { CatalogueVersion } from './types';

export interface CatalogueVersionPublished {
  readonly type: 'CatalogueVersionPublished';
  readonly schemaVersion: 1;
  readonly data: { readonly catalogue: CatalogueVersion };
}

export type CatalogueEvent = CatalogueVersionPublished;

export interface PublishCatalogueVersion {
  readonly type: 'PublishCatalogueVersion';
  readonly data: { readonly catalogue: CatalogueVersion };
}

export type CatalogueCommand = PublishCatalogueVersion;

export interface CatalogueState {
  readonly catalogueId: string | null;
  readonly versions: readonly CatalogueVersion[];
}

export const initialCatalogueState: CatalogueState = { catalogueId: null, versions: [] };

export function decideCatalogue(command: CatalogueCommand, state: CatalogueState): CatalogueEvent[] {
  const v = validateCatalogueVersion(command.data.catalogue);
  if (state.catalogueId !== null && state.catalogueId !== v.catalogueId) {
    refuse('wrong-catalogue', `this stream holds catalogue ${state.catalogueId}, not ${v.catalogueId}`);
  }
  if (state.versions.some((x) => x.version === v.version)) {
    refuse('catalogue-version-exists', `catalogue version ${refLabel(v)} has already been published`, { catalogue: { catalogueId: v.catalogueId, version: v.version } });
  }
  if (v.replacesVersion !== null) {
    const prev = state.versions.find((x) => x.version === v.replacesVersion);
    if (!prev) refuse('unknown-catalogue-version', `version ${v.version} replaces ${v.catalogueId}/${v.replacesVersion}, which has not been published`);
    // From the replaced version's first day (a correction) or later: never before it, which would make it the version in force for years it never covered.
    if (compareDates(v.validFrom, prev.validFrom) < 0) {
      refuse('invalid-catalogue', `version ${v.version} replaces ${refLabel(prev)}, valid from ${prev.validFrom}: it cannot be valid from an earlier date (${v.validFrom})`);
    }
    for (const b of v.blocks) {
      for (const old of b.replaces ?? []) {
        if (!prev.blocks.some((p) => p.code === old)) refuse('unknown-block', `block ${b.code} replaces ${old}, which is not a block of ${refLabel(prev)}`, { blockCode: old });
      }
    }
  } else if (v.blocks.some((b) => (b.replaces ?? []).length > 0)) {
    refuse('invalid-catalogue', `blocks of ${refLabel(v)} declare replacements but the version replaces no previous version`);
  }
  return [{ type: 'CatalogueVersionPublished', schemaVersion: 1, data: { catalogue: v } }];
}

export function evolveCatalogue(state: CatalogueState, event: CatalogueEvent): CatalogueState {
  switch (event.type) {
    case 'CatalogueVersionPublished':
      return { catalogueId: event.data.catalogue.catalogueId, versions: [...state.versions, event.data.catalogue] };
    default:
      return state;
  }
}

/** The publication events of the shipped catalogue data, grouped by catalogue id (the stream). */
export function shippedCatalogueEvents(): Record<string, CatalogueVersionPublished[]> {
  const out: Record<string, CatalogueVersionPublished[]> = {};
  const states: Record<string, CatalogueState> = {};
  for (const v of SHIPPED_CATALOGUE_VERSIONS) {
    const state = states[v.catalogueId] ?? initialCatalogueState;
    const events = decideCatalogue({ type: 'PublishCatalogueVersion', data: { catalogue: v } }, state);
    states[v.catalogueId] = events.reduce(evolveCatalogue, state);
    (out[v.catalogueId] ??= []).push(...events);
  }
  return out;
}
