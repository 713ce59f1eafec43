/** Test helpers: given(events).when(command).then(events | error code), and history builders. */
import { DomainError } from '../shared/errors';
import type { ContractCommand } from '../contract/commands';
import type { ContractEvent, RecordedEvent } from '../contract/events';
import { decide } from '../contract/decide';
import { fold } from '../contract/evolve';
import { utrecht2019 } from '../catalogues/shipped';
import type { CatalogueVersion } from '../catalogues/types';
import type { RegisterContract } from '../contract/commands';

export function given(events: readonly ContractEvent[]) {
  return {
    when(command: ContractCommand) {
      const run = () => decide(command, fold(events));
      return {
        then(expected: ContractEvent[] | { error: string; details?: Record<string, unknown> }): void {
          if (Array.isArray(expected)) {
            expect(run()).toEqual(expected);
            return;
          }
          let caught: unknown;
          try {
            run();
          } catch (e) {
            caught = e;
          }
          expect(caught).toBeInstanceOf(DomainError);
          expect((caught as DomainError).code).toBe(expected.error);
          expect((caught as DomainError).message.length).toBeGreaterThan(10);
          if (expected.details) expect((caught as DomainError).details).toMatchObject(expected.details);
        },
      };
    },
  };
}

/** Decides every command in turn and returns the events, failing on any refusal. */
export function run(commands: readonly ContractCommand[], from: readonly ContractEvent[] = []): ContractEvent[] {
  const events = [...from];
  for (const c of commands) events.push(...decide(c, fold(events)));
  return events;
}

/** Wraps events as recorded envelopes, one minute apart from `start`. */
export function recorded(events: readonly ContractEvent[], start = '2023-01-01T09:00:00Z', stepMinutes = 1): RecordedEvent[] {
  const t0 = Date.parse(start);
  return events.map((event, i) => ({ event, recordedAt: new Date(t0 + i * stepMinutes * 60_000).toISOString(), revision: i }));
}

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

export function registered(over: Partial<RegisterContract['data']> = {}, catalogue: CatalogueVersion = utrecht2019): ContractEvent {
  return decide(registerCommand(over, catalogue), fold([]))[0];
}
