import type { PublicEventEnvelope } from '@sroi/integration-events';
import type { PublicEventMapper } from '../publisher/integration-publisher';

/**
 * A stand-in mapper with the real one's shape (pure, per-contract state, 0..n events per internal
 * event), so these tests pin the publishing mechanics on their own: the municipality comes from
 * the registration, every event yields one public event and every third a second one.
 */
export interface TestState {
  municipality: string;
  count: number;
}
export const testMapper: PublicEventMapper<TestState> = (state, source) => {
  const data = source.event.data as unknown as { municipality?: string };
  const next: TestState = state ? { ...state, count: state.count + 1 } : { municipality: data.municipality as string, count: 1 };
  const contractId = source.streamId.slice('contract-'.length);
  const envelope = (i: number): PublicEventEnvelope => ({
    id: `${source.id.slice(0, 24)}${String(i).padStart(12, '0')}`,
    type: i === 0 ? 'contribution.recorded' : 'obligation.status-changed',
    schemaVersion: 1,
    sourcePosition: source.position,
    occurredAt: source.recordedAt,
    contractId,
    municipality: next.municipality,
    contractor: { kvk: '12345678', name: 'Test' },
    data: { internalType: source.event.type, nth: next.count },
  });
  return { state: next, events: next.count % 3 === 0 ? [envelope(0), envelope(1)] : [envelope(0)] };
};

