import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { isDomainError, versionInForce, type ContractCommand } from '@sroi/domain';
import { StreamNotFoundError, type EventStore } from '@sroi/event-store';
import type { Principal } from '../auth/principal';
import { CatalogueRegistry } from '../catalogues/catalogue.registry';
import { ApiConfig } from '../config/api-config';
import { ContractCommandService, type CommandContext } from '../contracts/contract-command.service';
import { EVENT_STORE } from '../event-store/event-store.module';
import { uuidv5 } from '../platform/ids';
import { CONTRACT_STREAM_PREFIX } from '../shared/event-codec';
import { DEMO_CONTRACTS, DEMO_MUNICIPALITY, type DemoContract, type DemoStep } from './demo-data';

const LOADER: Principal = { subject: 'demo-loader', role: 'advisor', municipality: DEMO_MUNICIPALITY };

/**
 * Loads the demo contracts into a store that holds no contract but them, unless SROI_DEMO=off.
 * Each demo contract is taken up where its stream ends (one event a step), so a first start
 * stopped in the middle of the load (a crash, a kill) is completed by the next one. Ids are fixed,
 * so two instances starting at once write each contract once (the loser is refused and stops).
 */
@Injectable()
export class DemoLoader implements OnApplicationBootstrap {
  private readonly logger = new Logger('Demo');

  constructor(
    private readonly config: ApiConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly catalogues: CatalogueRegistry,
    private readonly commands: ContractCommandService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.catalogues.ensureShipped();
    if (!this.config.demo) return;
    // A store with a contract of its own is no demo: nothing is added to it. The demo's own events
    // come first in the log, so this stops at the first event of any other contract.
    const demoStreams = new Set(DEMO_CONTRACTS.map((c) => `${CONTRACT_STREAM_PREFIX}${c.contractId}`));
    for await (const e of this.store.readAll({ filter: { streamPrefixes: [CONTRACT_STREAM_PREFIX] } })) if (!demoStreams.has(e.streamId)) return;
    let loaded = 0;
    for (const c of DEMO_CONTRACTS) if (await this.load(c)) loaded++;
    if (loaded > 0) this.logger.log(`loaded ${loaded} demo contracts of ${DEMO_MUNICIPALITY} (SROI_DEMO=off to skip)`);
  }

  /** How many events the contract's stream holds (each demo step writes one). */
  private async stepsDone(contractId: string): Promise<number> {
    try {
      return (await this.store.readStream(`${CONTRACT_STREAM_PREFIX}${contractId}`)).length;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return 0;
      throw error;
    }
  }

  private ctx(c: DemoContract, step: string): CommandContext {
    return { principal: LOADER, caller: LOADER, correlationId: uuidv5(`demo:${c.slug}`), commandId: uuidv5(`demo:${c.slug}:${step}`), idempotencyKey: null };
  }

  private async load(c: DemoContract): Promise<boolean> {
    const versions = await this.catalogues.versions(true);
    const catalogue = versions.find((v) => v.catalogueId === c.catalogue.id && v.version === c.catalogue.version);
    if (!catalogue) throw new Error(`demo data names an unknown catalogue ${c.catalogue.id}/${c.catalogue.version}`);
    const inForce = versionInForce(versions, c.catalogue.id, c.startDate);
    const commands: Array<[string, ContractCommand]> = [
      [
        'register',
        {
          type: 'RegisterContract',
          data: {
            contractId: c.contractId,
            municipality: DEMO_MUNICIPALITY,
            title: c.title,
            tenderReference: c.tenderReference,
            contractor: c.contractor,
            contractValueCents: c.contractValueCents,
            sroiPercentage: c.sroiPercentage,
            startDate: c.startDate,
            endDate: c.endDate,
            catalogue,
            ...(inForce ? { versionInForceOnStart: { catalogueId: inForce.catalogueId, version: inForce.version } } : {}),
            explicitVersion: false,
          },
        },
      ],
      ...c.steps.map((s, i): [string, ContractCommand] => [`${i}`, this.command(s, versions)]),
    ];
    const done = await this.stepsDone(c.contractId);
    if (done >= commands.length) return false;
    if (done > 0) this.logger.warn(`demo contract ${c.slug} was loaded up to step ${done} of ${commands.length} (a start stopped meanwhile): completing it`);
    try {
      for (const [step, command] of commands.slice(done)) await this.commands.execute(c.contractId, this.ctx(c, step), () => command);
      return true;
    } catch (error) {
      if (isDomainError(error)) {
        this.logger.warn(`demo contract ${c.slug} not (fully) loaded: ${error.code}`);
        return false;
      }
      throw error;
    }
  }

  private command(s: DemoStep, versions: Awaited<ReturnType<CatalogueRegistry['versions']>>): ContractCommand {
    switch (s.kind) {
      case 'hire':
        return { type: 'RecordHire', data: { placementId: s.id, candidateRef: s.candidateRef, blockCode: s.blockCode, bonusCodes: s.bonusCodes ?? [], startDate: s.startDate, endDate: s.endDate ?? null, hoursPerWeek: s.hoursPerWeek, permanent: s.permanent } };
      case 'purchase':
        return { type: 'RecordPurchase', data: { contributionId: s.id, supplier: s.supplier, invoiceReference: s.invoiceReference, amountExclVatCents: s.amountExclVatCents, date: s.date, blockCode: s.blockCode } };
      case 'knowledge':
        return { type: 'RecordKnowledgeSharing', data: { contributionId: s.id, description: s.description, date: s.date, blockCode: s.blockCode, hours: s.hours } };
      case 'verify':
        return { type: 'RecordVerification', data: { contributionId: s.id, verdict: 'verified', note: s.note } };
      case 'migrate': {
        const catalogue = versions.find((v) => v.catalogueId === s.catalogue.id && v.version === s.catalogue.version);
        if (!catalogue) throw new Error(`demo data names an unknown catalogue ${s.catalogue.id}/${s.catalogue.version}`);
        return { type: 'MigrateCatalogue', data: { catalogue, effectiveDate: s.effectiveDate, ...(s.blockMapping ? { blockMapping: s.blockMapping } : {}), reason: s.reason } };
      }
    }
  }
}
