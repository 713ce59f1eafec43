import { decide, evolve, initialState, utrecht2019, type ContractCommand, type ContractState } from '@sroi/domain';
import type { ContractMapperState } from '@sroi/integration-events';
import type { SourceEvent } from './publisher/integration-publisher';
import { integrationMapper, integrationStateFold, sharingIntegrationMapper } from './integration-mapper';

/** A contract stream as the publisher reads it, and the state the write side folds from it. */
function stream() {
  const sources: SourceEvent[] = [];
  let state: ContractState = initialState;
  const record = (command: ContractCommand, recordedAt: string): SourceEvent => {
    const [event] = decide(command, state);
    state = evolve(state, event);
    const source = { streamId: 'contract-c-1', id: `c-1/${sources.length}`, position: String(100 + sources.length), recordedAt, event };
    sources.push(source);
    return source;
  };
  return { sources, record, state: () => state };
}

const hire = (placementId: string): ContractCommand =>
  ({ type: 'RecordHire', data: { placementId, candidateRef: `cand-${placementId}`, blockCode: 'PW', bonusCodes: [], startDate: '2023-01-01', hoursPerWeek: 32, permanent: false } }) as ContractCommand;

describe('integrationStateFold with the write side\'s states (the publisher\'s warm-up)', () => {
  it('takes the write side\'s object, and the realised values go with it: the next event values only what it changes, byte for byte as mapping gives', () => {
    const s = stream();
    s.record(
      {
        type: 'RegisterContract',
        data: { contractId: 'c-1', municipality: 'Utrecht', title: 'Onderhoud', tenderReference: 'U-1', contractor: { kvk: '12345678', name: 'Bouw BV' }, contractValueCents: 100_000_000, sroiPercentage: 5, startDate: '2023-01-01', endDate: '2024-12-31', catalogue: utrecht2019 },
      } as ContractCommand,
      '2022-12-15T09:00:00Z',
    );
    s.record(hire('p-1'), '2023-03-01T09:00:00Z');
    s.record(hire('p-2'), '2023-03-01T10:00:00Z');
    // what mapping every event leaves (the publisher without a warm-up)
    let mapped: ContractMapperState | undefined;
    for (const source of s.sources) mapped = integrationMapper(mapped, source).state;

    const held = s.state();
    const fold = integrationStateFold(() => held)();
    for (const source of s.sources) fold.add(source);
    const warmed = fold.result() as ContractMapperState;
    expect(warmed.contract).toBe(held);

    const next = s.record(hire('p-3'), '2023-03-01T11:00:00Z');
    const heldNext = s.state();
    const fromWarm = sharingIntegrationMapper(() => heldNext)(warmed, next);
    expect(fromWarm.state.contract).toBe(heldNext);
    // taken over in place, not valued afresh into a new one
    expect(fromWarm.state.realised).toBe(warmed.realised);
    expect(JSON.stringify(fromWarm.events)).toBe(JSON.stringify(integrationMapper(mapped, next).events));
  });
});
