import type { PublicEventEnvelope } from '@sroi/integration-events';
import { IntegrationLog, municipalityKey, type IntegrationLogEntry, type IntegrationLogQuery } from '../integration-log';

/** An IntegrationLog in memory, for unit tests of its readers (the real one is SQLite). */
export class InMemoryIntegrationLog extends IntegrationLog {
  private readonly entries: IntegrationLogEntry[] = [];
  private readonly listeners = new Set<() => void>();
  private next = 1n;

  /** Appends envelopes at increasing positions (gaps allowed, as in the store) and notifies listeners. */
  append(envelopes: readonly PublicEventEnvelope[], gap = 0n): IntegrationLogEntry[] {
    const added = envelopes.map((e) => {
      this.next += gap;
      const entry: IntegrationLogEntry = { position: this.next++, eventId: e.id, type: e.type, municipality: e.municipality, contractId: e.contractId, json: JSON.stringify(e) };
      this.entries.push(entry);
      return entry;
    });
    for (const l of [...this.listeners]) l();
    return added;
  }

  read(q: IntegrationLogQuery): IntegrationLogEntry[] {
    const key = q.municipality === undefined ? undefined : municipalityKey(q.municipality);
    const out: IntegrationLogEntry[] = [];
    for (const e of this.entries) {
      if (out.length >= q.limit) break;
      if (q.after !== null && e.position <= q.after) continue;
      if (key !== undefined && municipalityKey(e.municipality) !== key) continue;
      if (q.types && q.types.length > 0 && !q.types.includes(e.type)) continue;
      if (q.contractId !== undefined && e.contractId !== q.contractId) continue;
      out.push(e);
    }
    return out;
  }

  lastPosition(): bigint | null {
    return this.entries.length === 0 ? null : this.entries[this.entries.length - 1].position;
  }

  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
