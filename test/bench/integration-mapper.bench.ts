/**
 * Rough speed of the mapper: events mapped per second over whole contract streams of ~100 and ~500
 * events, as at start-up (each stream mapped from revision 0). Not part of the tests.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register test/bench/integration-mapper.bench.ts   (npm run bench:integration)
 *
 * Two recording rhythms: every 2 hours (several events a day) and every 3 days (a new date at
 * almost every event, the worst case for the cache of realised values). Ids are a cheap stand-in
 * for the app's UUIDv5; dates come from `amsterdamDateOf`.
 *
 * Then the first event of a contract after the publisher's warm-up: a hire mapped on from
 * `mapperStateAfter`'s state, recorded on the same day as the event before it, the contract under
 * way. Beside it, its peer in the same run: the same state without the realised values, as the
 * warm-up left it before it kept them.
 */
import { decide, evolve, initialState, isDomainError, utrecht2019, type ContractCommand, type ContractState } from '@sroi/domain';
import { amsterdamDateOf, mapContractEvent, mapContractStream, mapperStateAfter, type ContractMapperState, type MapperOptions, type SourceEvent } from '@sroi/integration-events';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const DAY = 86_400_000;
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

function build(events: number, stepMs: number, seed: number): SourceEvent[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const out: SourceEvent[] = [];
  let state: ContractState = initialState;
  const t0 = Date.parse('2021-12-01T08:00:00Z');
  const apply = (c: ContractCommand) => {
    try {
      for (const event of decide(c, state)) {
        state = evolve(state, event);
        out.push({ streamId: 'contract-b', id: `b/${out.length}`, position: String(1000 + out.length), recordedAt: new Date(t0 + out.length * stepMs).toISOString(), event });
      }
      return true;
    } catch (e) {
      if (isDomainError(e)) return false;
      throw e;
    }
  };
  apply({ type: 'RegisterContract', data: { contractId: 'b', municipality: 'Utrecht', title: 'Bench', tenderReference: 'B', contractor: { kvk: '12345678', name: 'Bouw BV' }, contractValueCents: 250_000_000, sroiPercentage: 5, startDate: '2022-01-01', endDate: '2025-12-31', catalogue: utrecht2019, explicitVersion: true } });
  const placements: string[] = [];
  const oneOffs: string[] = [];
  for (let n = 0; out.length < events; n++) {
    const x = r();
    if (x < 0.3 || placements.length === 0) {
      const start = addDays('2022-01-01', Math.floor(r() * 1400) - 60);
      if (apply({ type: 'RecordHire', data: { placementId: `p-${n}`, candidateRef: `cand-${n}`, blockCode: pick(['PW', 'BA', 'WW', 'NUG']), bonusCodes: r() < 0.3 ? ['B-50PLUS'] : [], startDate: start, endDate: r() < 0.7 ? addDays(start, 90 + Math.floor(r() * 700)) : null, hoursPerWeek: pick([16, 24, 32, 36, 22.5]), permanent: r() < 0.2 } })) placements.push(`p-${n}`);
    } else if (x < 0.45) apply({ type: 'ChangePlacement', data: { placementId: pick(placements), effectiveDate: addDays('2022-01-01', Math.floor(r() * 1400)), hoursPerWeek: pick([16, 24, 36]) } });
    else if (x < 0.5) apply({ type: 'EndPlacement', data: { placementId: pick(placements), endDate: addDays('2022-01-01', 60 + Math.floor(r() * 1300)), reason: 'einde' } });
    else if (x < 0.7) {
      if (apply({ type: 'RecordPurchase', data: { contributionId: `k-${n}`, supplier: { name: 'Sociaal BV' }, invoiceReference: `F-${n}`, amountExclVatCents: 10_000 + Math.floor(r() * 2_000_000), date: addDays('2022-01-01', Math.floor(r() * 1400)), blockCode: 'SOCIAL-PURCHASE' } })) oneOffs.push(`k-${n}`);
    } else if (x < 0.78) {
      if (apply({ type: 'RecordKnowledgeSharing', data: { contributionId: `ks-${n}`, description: 'gastles', date: addDays('2022-01-01', Math.floor(r() * 1400)), blockCode: 'INITIATIVE', hours: pick([2, 4, 7.5]) } })) oneOffs.push(`ks-${n}`);
    } else if (x < 0.93) apply({ type: 'RecordVerification', data: { contributionId: pick([...placements, ...oneOffs]), verdict: r() < 0.85 ? 'verified' : 'rejected', note: 'gezien' } });
    else apply({ type: 'WithdrawContribution', data: { contributionId: pick([...placements, ...oneOffs]), reason: 'correctie' } });
  }
  return out.slice(0, events);
}

const opts: MapperOptions = { idFor: (id, i) => `${id}#${i}`, dateOf: amsterdamDateOf };
for (const [events, stepMs, label] of [
  [100, 2 * 3_600_000, '100 events, every 2 hours'],
  [100, 3 * DAY, '100 events, every 3 days'],
  [500, 2 * 3_600_000, '500 events, every 2 hours'],
  [500, 3 * DAY, '500 events, every 3 days'],
] as const) {
  const stream = build(events, stepMs, events + stepMs);
  let published = 0;
  for (let i = 0; i < 50; i++) published = mapContractStream(stream, opts).events.length; // warm up
  let mapped = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1_500) {
    mapContractStream(stream, opts);
    mapped += stream.length;
  }
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`${label.padEnd(28)} ${Math.round(mapped / s).toLocaleString('en-US').padStart(9)} events/s  (${published} public events per pass)\n`);
}

/** Mappings a second of each case's hire, each from its own folded state as `prepare` makes it. */
function rate(cases: readonly { folded: ContractMapperState[]; hire: SourceEvent }[], prepare: (folded: ContractMapperState) => ContractMapperState): number {
  const t0 = performance.now();
  let n = 0;
  for (const c of cases) {
    for (const folded of c.folded) mapContractEvent(prepare(folded), c.hire, opts);
    n += c.folded.length;
  }
  return n / ((performance.now() - t0) / 1000);
}

process.stdout.write('\nthe first hire of a contract after the warm-up fold (mappings/s):\n');
for (const [events, copies] of [
  [100, 4_000],
  [500, 400],
] as const) {
  // every 3 days, so that the contract is under way at its later hires (every 2 hours, its events
  // would all lie before its start, where nothing is realised yet)
  const stream = build(events, 3 * DAY, events + 7);
  // each hire of the stream's second half, as the first event after a warm-up that folded the
  // events before it, recorded an hour after the one before it (a busy contract: the date the
  // values are on stays the same). Mapping takes the fold's realised values over, so every
  // mapping gets a folded state of its own, made beforehand.
  const hires = stream.flatMap((x, j) => (j >= events / 2 && x.event.type === 'HireRecorded' ? [j] : []));
  const casesOf = (perHire: number) =>
    hires.map((j) => ({
      folded: Array.from({ length: perHire }, () => mapperStateAfter(stream.slice(0, j), opts)),
      hire: { ...stream[j], recordedAt: new Date(Date.parse(stream[j - 1].recordedAt) + 3_600_000).toISOString() },
    }));
  const warmUp = casesOf(Math.ceil(200 / hires.length));
  rate(warmUp, (folded) => ({ ...folded, realised: null }));
  rate(warmUp, (folded) => folded);
  const cases = casesOf(Math.ceil(copies / hires.length));
  const kept = rate(cases, (folded) => folded);
  const none = rate(cases, (folded) => ({ ...folded, realised: null }));
  const label = `${events} events, values kept`;
  process.stdout.write(`${label.padEnd(28)} ${Math.round(kept).toLocaleString('en-US').padStart(9)}  against ${Math.round(none).toLocaleString('en-US')} without them: ${(kept / none).toFixed(1)}x (${hires.length} hires)\n`);
}
