import { municipalityKey } from './integration-log';

/**
 * Where the public integration events live in the event store: one stream per municipality,
 * `integration-<slug>`, so that an EventStoreDB persistent subscription group on that stream
 * gives a municipality's integrators the same events as the SSE feed and the webhooks.
 */
export const INTEGRATION_STREAM_PREFIX = 'integration-';

/** `Utrecht` → `utrecht`, `'s-Hertogenbosch` → `s-hertogenbosch`, `Súdwest-Fryslân` → `sudwest-fryslan`. */
export function municipalitySlug(municipality: string): string {
  const slug = municipalityKey(municipality)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.length > 0 ? slug : 'unnamed';
}

export const integrationStream = (municipality: string): string => `${INTEGRATION_STREAM_PREFIX}${municipalitySlug(municipality)}`;

export const isIntegrationStream = (streamId: string): boolean => streamId.startsWith(INTEGRATION_STREAM_PREFIX);

/** Metadata of a public event in the store: where it came from, so the publisher can resume exactly. */
export interface IntegrationEventMetadata {
  [key: string]: string | number | null;
  schemaVersion: number;
  /** Global position of the internal event it derives from (decimal). */
  sourcePosition: string;
  /** Its index among the public events that internal event yields (0-based). */
  sourceIndex: number;
  /** The internal event's id: the causation of this one. */
  causationId: string;
  correlationId: string | null;
}
