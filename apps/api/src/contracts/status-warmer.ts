import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../platform/clock';
import { IdleQueue } from '../shared/idle-queue';
import { ContractRepository } from './contract-repository';
import { GetContractStatusHandler } from './contract.queries';

/**
 * Prepares the status answers of changed contracts while the service is otherwise idle.
 *
 * A status answer is cached per folded state, so every event makes the contract's next status
 * read compute its figures again (~0.1–0.3 ms for a 100-event contract, and the garbage that goes
 * with it). After a spell of writes that is the first read of every contract written to: on the
 * benchmark's store, status reads right after 15 s of hires ran at about half the rate they reach
 * once the answers are cached again. This computes today's totals answer of each contract that
 * changed and whose status had been asked for before, in slices of a few milliseconds and only
 * while requests leave the event loop nearly idle (IdleQueue): under load it waits, and a read
 * computes its answer itself, as before.
 */
@Injectable()
export class StatusWarmer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('StatusWarmer');
  private warned = false;
  readonly queue = new IdleQueue<string>((contractId) => this.statuses.prepare(contractId, this.clock.today()), {
    onError: (contractId, error) => {
      // The read computes it again and answers the failure (e.g. a contract whose figures cannot be computed).
      if (this.warned) return;
      this.warned = true;
      this.logger.warn(`preparing the status of contract ${String(contractId)} failed (left to its reads; further failures are not logged): ${error instanceof Error ? error.message : String(error)}`);
    },
  });

  constructor(
    private readonly repository: ContractRepository,
    private readonly statuses: GetContractStatusHandler,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.repository.onChange((contractId) => this.queue.add(contractId));
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.stop();
  }
}
