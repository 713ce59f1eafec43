import { Inject, Injectable } from '@nestjs/common';
import { decide, isRegistered, type ContractCommand, type ContractEvent } from '@sroi/domain';
import { WrongExpectedVersionError, type EventStore } from '@sroi/event-store';
import { canSeeContract, type Principal } from '../auth/principal';
import { EVENT_STORE } from '../event-store/event-store.module';
import { notFound, ProblemException } from '../platform/problem';
import { contractStream, metadataFor, toEventData, type CommandEnvelope } from '../shared/event-codec';
import { ifMatchHolds, type IfMatch } from './contract-context';
import { ContractRepository, type LoadedContract } from './contract-repository';

export interface CommandContext extends CommandEnvelope {
  /** the caller, for the scope check */
  caller: Principal;
  /** `If-Match`, when given */
  ifMatch?: IfMatch;
}

export interface CommandResult {
  contractId: string;
  revision: number;
  position: string;
  contributionId?: string;
}

/**
 * Runs one contract command: read the stream, fold it, check the caller's scope (404 outside it),
 * check If-Match (412), decide, append with the stream's revision as expectation. A concurrent
 * writer makes the loser decide once more on fresh state; a second conflict is 409, and with
 * If-Match any conflict is 412. The first decision is made on the cached state without checking
 * the store for newer events (see `execute`).
 */
@Injectable()
export class ContractCommandService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly repository: ContractRepository,
  ) {}

  async execute(contractId: string, ctx: CommandContext, build: (loaded: LoadedContract) => ContractCommand, contributionId?: string): Promise<CommandResult> {
    for (let attempt = 0; ; attempt++) {
      // First on the cached state as it is: the append's expected revision catches a stale one, and
      // the store's head is not read (a read transaction per command). Not with If-Match, which is
      // compared before the append; nor on a retry.
      const cached = attempt === 0 && ctx.ifMatch === undefined ? this.repository.cachedForWrite(contractId) : undefined;
      let loaded: LoadedContract = cached ?? (await this.repository.load(contractId));
      let decided: { command: ContractCommand; events: ContractEvent[] };
      try {
        decided = this.decideOn(contractId, ctx, build, loaded);
      } catch (error) {
        if (cached === undefined) throw error;
        // Refused on a state that another process may have moved on from (a placement it recorded,
        // say): decided again on the current one before the refusal is answered.
        loaded = await this.repository.load(contractId);
        decided = this.decideOn(contractId, ctx, build, loaded);
      }
      const { command, events } = decided;
      try {
        const result = await this.store.appendToStream(
          contractStream(contractId),
          events.map((e) => toEventData(e, metadataFor(ctx, command.type, e.schemaVersion))),
          { expectedRevision: loaded.revision ?? 'no_stream' },
        );
        this.repository.remember(contractId, loaded, events, result.nextExpectedRevision, result.position);
        return {
          contractId,
          revision: Number(result.nextExpectedRevision),
          position: String(result.position),
          ...(contributionId !== undefined ? { contributionId } : {}),
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        this.repository.forget(contractId);
        // `*` asks only that the contract exists, which a concurrent write does not change: retried as without If-Match.
        if (ctx.ifMatch !== undefined && ctx.ifMatch !== '*') throw this.preconditionFailed(ctx.ifMatch, typeof error.actual === 'bigint' ? error.actual : null);
        if (attempt >= 1) throw error;
      }
    }
  }

  /** The scope check (404 outside it), If-Match (412), then the domain's decision on `loaded`. */
  private decideOn(contractId: string, ctx: CommandContext, build: (loaded: LoadedContract) => ContractCommand, loaded: LoadedContract): { command: ContractCommand; events: ContractEvent[] } {
    const command = build(loaded);
    if (command.type !== 'RegisterContract') {
      const s = loaded.state;
      if (loaded.revision === null || !isRegistered(s) || !canSeeContract(ctx.caller, { municipality: s.municipality, contractorKvk: s.contractor.kvk })) {
        throw notFound(`Contract ${contractId}`);
      }
    }
    if (ctx.ifMatch !== undefined && !ifMatchHolds(ctx.ifMatch, loaded.revision)) throw this.preconditionFailed(ctx.ifMatch, loaded.revision);
    return { command, events: decide(command, loaded.state) };
  }

  private preconditionFailed(expected: IfMatch, actual: bigint | null): ProblemException {
    const at = `the contract is at revision ${actual ?? 'none'}; read it again`;
    if (expected === '*') return new ProblemException(412, 'precondition-failed', `If-Match: * asks for an existing contract, but ${at}`, { actualRevision: null });
    const named = expected.length === 0 ? 'only weak tags, which never match' : `revision ${expected.join(' or ')}`;
    return new ProblemException(412, 'precondition-failed', `If-Match names ${named}, but ${at}`, {
      ...(expected.length === 1 ? { expectedRevision: Number(expected[0]) } : { expectedRevisions: expected.map(Number) }),
      actualRevision: actual === null ? null : Number(actual),
    });
  }
}
