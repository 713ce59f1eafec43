/**
 * Test fixtures: realistic contract streams built with the domain's `decide`, as the mapper reads
 * them from the store. Pure (no node:*), used by the spec files only.
 */
import { decide, evolve, initialState, isDomainError, utrecht2019, type CatalogueVersion, type ContractCommand, type ContractState, type RegisterContract } from '@sroi/domain';
import type { SourceEvent } from '../mapper';

export function registerCommand(over: Partial<RegisterContract['data']> = {}, catalogue: CatalogueVersion = utrecht2019): RegisterContract {
  return {
    type: 'RegisterContract',
    data: {
      contractId: 'c-1',
      municipality: 'Utrecht',
      title: 'Onderhoud openbare ruimte',
      tenderReference: 'UTR-2022-041',
      contractor: { kvk: '12345678', name: 'Bouwbedrijf De Vries B.V.' },
      contractValueCents: 100_000_000,
      sroiPercentage: 5,
      startDate: '2023-01-01',
      endDate: '2024-12-31',
      catalogue,
      ...over,
    },
  };
}

/** A contract stream: each command decided on the state so far, its events recorded at the given instant. */
export class StreamBuilder {
  private readonly list: SourceEvent[] = [];
  private state: ContractState = initialState;

  constructor(
    readonly contractId = 'c-1',
    /** global positions of this stream start here and grow by `positionStep` */
    private readonly firstPosition = 100,
    private readonly positionStep = 7,
  ) {}

  /** Decides `command` and records its events at `recordedAt`; throws the DomainError of a refusal. */
  record(command: ContractCommand, recordedAt: string): SourceEvent[] {
    const added: SourceEvent[] = [];
    for (const event of decide(command, this.state)) {
      this.state = evolve(this.state, event);
      const revision = this.list.length;
      const source: SourceEvent = {
        streamId: `contract-${this.contractId}`,
        id: `${this.contractId}/${revision}`,
        position: String(this.firstPosition + revision * this.positionStep),
        recordedAt,
        event,
      };
      this.list.push(source);
      added.push(source);
    }
    return added;
  }

  /** Like `record`, but a refused command is skipped (for random histories). */
  tryRecord(command: ContractCommand, recordedAt: string): boolean {
    try {
      this.record(command, recordedAt);
      return true;
    } catch (e) {
      if (isDomainError(e)) return false;
      throw e;
    }
  }

  get sources(): readonly SourceEvent[] {
    return this.list;
  }

  get contract(): ContractState {
    return this.state;
  }
}
