import { Global, Module } from '@nestjs/common';
import type { RegisteredContract } from '@sroi/domain';
import { ContractStates } from '../projections/read-models';
import { ContractRepository } from './contract-repository';

/**
 * The contracts' folded states, for the write side (commands, status) and the read side (the
 * figures the read models snapshot): one ContractRepository, whose cache both share.
 */
@Global()
@Module({
  providers: [
    ContractRepository,
    // An adapter, not `useExisting`: Nest calls the lifecycle hooks of every provider's instance,
    // and an alias of the repository would start its watcher and its warm-up a second time.
    { provide: ContractStates, inject: [ContractRepository], useFactory: (repository: ContractRepository): ContractStates => new RepositoryStates(repository) },
  ],
  exports: [ContractRepository, ContractStates],
})
export class ContractStatesModule {}

class RepositoryStates extends ContractStates {
  constructor(private readonly repository: ContractRepository) {
    super();
  }

  peek(contractId: string, revision: number): RegisteredContract | undefined {
    return this.repository.peek(contractId, revision);
  }

  stateAt(contractId: string, revision: number): Promise<RegisteredContract | null> {
    return this.repository.stateAt(contractId, revision);
  }

  override isWarm(): boolean {
    return this.repository.isWarm();
  }
}
