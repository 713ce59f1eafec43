/** Test support: a real SQLite event store in a temporary folder, written through the domain's `decide`. */
import {
  decide,
  fold,
  shippedCatalogueEvents,
  utrecht2015,
  utrecht2019,
  type CatalogueVersion,
  type ContractCommand,
  type ContractEvent,
  type RegisterContract,
} from '@sroi/domain';
import { SqliteEventStore, StreamNotFoundError, type AppendResult, type JsonValue, type RecordedEvent } from '@sroi/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractStreamId } from '../contract-events';

export function tempDir(prefix = 'sroi-projections-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const openStore = (dir: string): SqliteEventStore => new SqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous: 'OFF', pollIntervalMs: 10 });

export const toContractEvent = (r: RecordedEvent): ContractEvent => ({ type: r.type, schemaVersion: 1, data: r.data }) as unknown as ContractEvent;

export class Ledger {
  constructor(readonly store: SqliteEventStore) {}

  async history(contractId: string): Promise<RecordedEvent[]> {
    try {
      return await this.store.readStream(contractStreamId(contractId));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  /** Decides the command on the folded stream and appends the events with the stream's revision. */
  async execute(contractId: string, command: ContractCommand): Promise<AppendResult> {
    const history = await this.history(contractId);
    const events = decide(command, fold(history.map(toContractEvent)));
    return this.store.appendToStream(
      contractStreamId(contractId),
      events.map((e) => ({ type: e.type, data: e.data as unknown as JsonValue, metadata: { schemaVersion: 1, actor: 'test' } })),
      { expectedRevision: history.length ? BigInt(history.length - 1) : 'no_stream' },
    );
  }

  register(contractId: string, over: Partial<RegisterContract['data']> = {}, catalogue: CatalogueVersion = utrecht2019): Promise<AppendResult> {
    return this.execute(contractId, {
      type: 'RegisterContract',
      data: {
        contractId,
        municipality: 'Utrecht',
        title: `Contract ${contractId}`,
        tenderReference: `UTR-${contractId}`,
        contractor: { kvk: '12345678', name: 'Bouwbedrijf De Vries B.V.' },
        contractValueCents: 100_000_000,
        sroiPercentage: 5,
        startDate: '2023-01-01',
        endDate: '2024-12-31',
        catalogue,
        ...over,
      },
    });
  }

  hire(contractId: string, placementId: string, over: Record<string, unknown> = {}): Promise<AppendResult> {
    return this.execute(contractId, {
      type: 'RecordHire',
      data: { placementId, candidateRef: `cand-${placementId}`, blockCode: 'PW', bonusCodes: [], startDate: '2023-02-01', hoursPerWeek: 36, permanent: false, ...over },
    } as ContractCommand);
  }

  purchase(contractId: string, contributionId: string, amountExclVatCents: number, date = '2023-03-01'): Promise<AppendResult> {
    return this.execute(contractId, {
      type: 'RecordPurchase',
      data: { contributionId, supplier: { name: 'Reinaerde', kvk: '30123456' }, invoiceReference: `F-${contributionId}`, amountExclVatCents, date, blockCode: 'SOCIAL-PURCHASE' },
    });
  }

  /** Publishes the shipped catalogue versions in `catalogue-<id>` streams (events the projection skips). */
  async publishCatalogues(): Promise<void> {
    for (const [catalogueId, events] of Object.entries(shippedCatalogueEvents())) {
      await this.store.appendToStream(
        `catalogue-${catalogueId}`,
        (events as { type: string; data: unknown }[]).map((e) => ({ type: e.type, data: e.data as JsonValue, metadata: { schemaVersion: 1 } })),
      );
    }
  }
}

/**
 * A small portfolio with every kind of change: two municipalities, three contractors, value and
 * period changes, a catalogue migration, hires (changed, ended), purchases, knowledge sharing, an
 * activity by agreement, verifications, a withdrawal and a closed contract. Catalogue events are
 * interleaved. Today for these contracts is 2024-06-30.
 */
export async function seedPortfolio(ledger: Ledger): Promise<void> {
  await ledger.publishCatalogues();
  // c-1: Utrecht, on track with a full-time hire from the start, verified.
  await ledger.register('c-1', { title: 'Onderhoud openbare ruimte', contractValueCents: 150_000_000 });
  await ledger.hire('c-1', 'p-1', { startDate: '2023-01-01', bonusCodes: ['B-50PLUS'] });
  await ledger.execute('c-1', { type: 'RecordVerification', data: { contributionId: 'p-1', verdict: 'verified', note: 'contract gezien' } });
  // c-2: Utrecht, behind: a value increase, a purchase withdrawn, a small purchase.
  await ledger.register('c-2', { title: 'Asfaltering Noord', contractor: { kvk: '87654321', name: 'Wegenbouw Zuid B.V.' }, startDate: '2023-06-01', endDate: '2025-05-31' });
  await ledger.execute('c-2', { type: 'ChangeContractValue', data: { contractValueCents: 150_000_000, effectiveDate: '2023-09-01', reason: 'Meerwerk' } });
  await ledger.purchase('c-2', 'k-1', 2_000_000, '2023-08-01');
  await ledger.purchase('c-2', 'k-2', 500_000, '2023-07-01');
  await ledger.execute('c-2', { type: 'WithdrawContribution', data: { contributionId: 'k-1', reason: 'dubbel ingevoerd' } });
  // c-3: Amersfoort, not met: ended with too small a purchase, then closed.
  await ledger.register('c-3', {
    municipality: 'Amersfoort',
    title: 'Schoonmaak stadhuis',
    contractor: { kvk: '11223344', name: 'Schoon & Co' },
    contractValueCents: 10_000_000,
    startDate: '2023-01-01',
    endDate: '2023-12-31',
  });
  await ledger.purchase('c-3', 'k-1', 200_000, '2023-05-01');
  await ledger.execute('c-3', { type: 'CloseContract', data: { reason: 'Eindrapportage afgerond' } });
  // c-4: Utrecht, met: 2015 catalogue migrated to 2019, hire changed and ended, period extended, knowledge sharing.
  await ledger.register('c-4', { title: 'Bruggen en tunnels', contractor: { kvk: '11223344', name: 'Schoon & Co' }, startDate: '2019-01-01', endDate: '2020-12-31' }, utrecht2015);
  await ledger.hire('c-4', 'p-1', { blockCode: 'PW-LT2', startDate: '2019-02-01', bonusCodes: ['B-50PLUS'] });
  await ledger.execute('c-4', { type: 'ChangePlacement', data: { placementId: 'p-1', effectiveDate: '2019-06-01', hoursPerWeek: 24, permanent: true } });
  await ledger.execute('c-4', { type: 'MigrateCatalogue', data: { catalogue: utrecht2019, effectiveDate: '2020-01-01', reason: 'Overgang' } });
  await ledger.execute('c-4', { type: 'EndPlacement', data: { placementId: 'p-1', endDate: '2020-06-30', reason: 'Einde dienstverband' } });
  await ledger.execute('c-4', { type: 'ChangeContractPeriod', data: { endDate: '2021-06-30', reason: 'Verlenging' } });
  await ledger.execute('c-4', { type: 'RecordKnowledgeSharing', data: { contributionId: 'ks-1', description: 'Gastlessen', date: '2020-03-01', blockCode: 'INITIATIVE', hours: 40 } });
  // c-5: Amersfoort, on track with a hire from the start and an activity awaiting agreement, then agreed.
  await ledger.register('c-5', { municipality: 'Amersfoort', title: 'Groenonderhoud', contractValueCents: 60_000_000, startDate: '2024-01-01', endDate: '2025-12-31' });
  await ledger.hire('c-5', 'p-1', { startDate: '2024-01-01', hoursPerWeek: 20 });
  await ledger.execute('c-5', { type: 'RecordActivity', data: { contributionId: 'a-1', description: 'Busvervoer doelgroep', date: '2024-03-01', blockCode: 'MOBILITY' } });
  await ledger.execute('c-5', { type: 'RecordAgreedValue', data: { contributionId: 'a-1', valueCents: 150_000, note: 'akkoord' } });
  await ledger.execute('c-5', { type: 'RecordVerification', data: { contributionId: 'a-1', verdict: 'rejected', note: 'geen bewijs' } });
}

export const TODAY = '2024-06-30';
