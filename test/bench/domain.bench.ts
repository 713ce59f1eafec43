/**
 * Domain benchmark: the pure status computation of @sroi/domain on realistic histories built
 * through decide/evolve from the shipped Utrecht catalogues. Not part of `npm test`.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register test/bench/domain.bench.ts
 *
 * Contracts of 10, 100 and 500 events on Utrecht 2019 (hires with bonuses and changes of hours or
 * permanence, ended placements, purchases, knowledge sharing, verifications and rejections,
 * withdrawals, a change of the contract value), and one of 100 events on Utrecht 2015 that
 * migrates to 2019 on 2019-10-01. Every history is deterministic (seeded generator).
 *
 * Environment (all optional):
 *   BENCH_MS        time per measurement in milliseconds   (default 400)
 *   BENCH_OUT       write the results as JSON to this file
 *   BENCH_BASELINE  a JSON file of an earlier run: adds a ratio column (now / baseline µs per op)
 *   BENCH_DUMP      write each history as JSON into this folder (for profiling), then stop
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  audit,
  decide,
  evolve,
  figuresOf,
  fold,
  initialState,
  isRegistered,
  replay,
  statusOf,
  utrecht2015,
  utrecht2019,
  DomainError,
  type CatalogueVersion,
  type ContractCommand,
  type ContractEvent,
  type ContractState,
  type RecordedEvent,
  type RegisteredContract,
} from '@sroi/domain';

const MS = Number(process.env['BENCH_MS'] ?? 400);
const OUT = process.env['BENCH_OUT'];
const BASELINE = process.env['BENCH_BASELINE'];
const DUMP = process.env['BENCH_DUMP'];

/** Mulberry32: a small deterministic generator, so every run benches the same histories. */
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

const DAY_MS = 86_400_000;
const addDays = (d: string, n: number): string => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

interface Spec {
  readonly name: string;
  readonly events: number;
  readonly catalogue: CatalogueVersion;
  readonly start: string;
  readonly end: string;
  /** migrate to Utrecht 2019 on this date (a 2015 contract) */
  readonly migrateOn?: string;
  readonly seed: number;
}

/** Builds a history of exactly `spec.events` events through decide/evolve; refused commands are skipped. */
function build(spec: Spec): RecordedEvent[] {
  const r = rng(spec.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const span = Math.round((Date.parse(spec.end) - Date.parse(spec.start)) / DAY_MS);
  const dayIn = (from = 0, to = span) => addDays(spec.start, from + Math.floor(r() * (to - from + 1)));
  const hours = () => pick([16, 20, 24, 28, 32, 36, 38, 40, 22.5, 18.25]);
  const events: ContractEvent[] = [];
  let state: ContractState = initialState;
  const apply = (c: ContractCommand): boolean => {
    try {
      const out = decide(c, state);
      for (const e of out) {
        if (events.length >= spec.events) break;
        events.push(e);
        state = evolve(state, e);
      }
      return out.length > 0;
    } catch (e) {
      if (e instanceof DomainError) return false;
      throw e;
    }
  };
  apply({
    type: 'RegisterContract',
    data: {
      contractId: spec.name,
      municipality: 'Utrecht',
      title: `Bench ${spec.name}`,
      tenderReference: 'UTR-BENCH',
      contractor: { kvk: '12345678', name: 'Bouwbedrijf De Vries B.V.' },
      contractValueCents: 250_000_000,
      sroiPercentage: 5,
      startDate: spec.start,
      endDate: spec.end,
      catalogue: spec.catalogue,
      explicitVersion: true,
    },
  });
  const placements: string[] = [];
  const oneOffs: string[] = [];
  let n = 0;
  let migrated = spec.migrateOn === undefined;
  let valueChanged = false;
  const is2015 = () => isRegistered(state) && (state as RegisteredContract).periods.length === 1 && spec.catalogue.version === '2015';
  while (events.length < spec.events) {
    n++;
    if (!migrated && events.length >= spec.events * 0.4) {
      migrated = apply({ type: 'MigrateCatalogue', data: { catalogue: utrecht2019, effectiveDate: spec.migrateOn as string, blockMapping: { SOCIAL: 'KNOWLEDGE' }, reason: 'nieuwe catalogus' } });
      continue;
    }
    if (!valueChanged && events.length >= spec.events * 0.5) {
      valueChanged = apply({ type: 'ChangeContractValue', data: { contractValueCents: 300_000_000, effectiveDate: dayIn(span / 2, span), reason: 'meerwerk' } });
      continue;
    }
    const x = r();
    const old = is2015();
    if (x < 0.3 || placements.length === 0) {
      const id = `p-${n}`;
      const start = dayIn(-60, span - 30);
      const ok = apply({
        type: 'RecordHire',
        data: {
          placementId: id,
          candidateRef: `cand-${n}`,
          blockCode: old ? pick(['PW-LT2', 'PW-GT2', 'WW-LT1', 'BA', 'NUG', 'BBL']) : pick(['PW', 'BA', 'WW', 'NUG', 'BBL', 'WIA']),
          bonusCodes: r() < 0.3 ? (old ? ['B-50PLUS'] : [pick(['B-50PLUS', 'B-STATUS'])]) : [],
          startDate: start,
          endDate: r() < 0.7 ? addDays(start, 90 + Math.floor(r() * 700)) : null,
          hoursPerWeek: hours(),
          permanent: r() < 0.2,
        },
      });
      if (ok) placements.push(id);
    } else if (x < 0.5) {
      apply({ type: 'ChangePlacement', data: { placementId: pick(placements), effectiveDate: dayIn(30, span), hoursPerWeek: hours(), ...(r() < 0.3 ? { permanent: true } : {}) } });
    } else if (x < 0.55) {
      apply({ type: 'EndPlacement', data: { placementId: pick(placements), endDate: dayIn(60, span), reason: 'einde contract' } });
    } else if (x < 0.7) {
      const id = `k-${n}`;
      if (apply({ type: 'RecordPurchase', data: { contributionId: id, supplier: { name: 'Sociaal BV' }, invoiceReference: `F-${n}`, amountExclVatCents: 10_000 + Math.floor(r() * 2_000_000), date: dayIn(0, span), blockCode: old ? 'WSW' : 'SOCIAL-PURCHASE' } })) oneOffs.push(id);
    } else if (x < 0.8) {
      const id = `ks-${n}`;
      if (apply({ type: 'RecordKnowledgeSharing', data: { contributionId: id, description: 'gastles', date: dayIn(0, span), blockCode: old ? 'SOCIAL' : pick(['KNOWLEDGE', 'INITIATIVE']), hours: pick([2, 4, 7.5, 16]) } })) oneOffs.push(id);
    } else if (x < 0.93) {
      apply({ type: 'RecordVerification', data: { contributionId: pick([...placements, ...oneOffs]), verdict: r() < 0.85 ? 'verified' : 'rejected', note: 'bewijs gezien' } });
    } else {
      const pool = r() < 0.5 && oneOffs.length > 0 ? oneOffs : placements;
      apply({ type: 'WithdrawContribution', data: { contributionId: pick(pool), reason: 'correctie' } });
    }
  }
  const t0 = Date.parse(`${spec.start}T08:00:00Z`) - 30 * DAY_MS;
  return events.map((event, i) => ({ event, recordedAt: new Date(t0 + i * 3_600_000).toISOString(), revision: i }));
}

interface Result {
  readonly name: string;
  readonly ops: number;
  readonly us: number;
}

function measure(name: string, f: () => unknown): Result {
  let sink: unknown;
  // warm up
  const warmEnd = performance.now() + Math.min(200, MS / 2);
  while (performance.now() < warmEnd) sink = f();
  let iterations = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < MS) {
    for (let i = 0; i < 8; i++) sink = f();
    iterations += 8;
    t = performance.now();
  }
  if (sink === undefined) throw new Error(`${name} returned nothing`);
  const us = ((t - t0) * 1000) / iterations;
  return { name, ops: 1e6 / us, us };
}

const specs: Spec[] = [
  { name: 'c10', events: 10, catalogue: utrecht2019, start: '2022-01-01', end: '2025-12-31', seed: 10 },
  { name: 'c100', events: 100, catalogue: utrecht2019, start: '2022-01-01', end: '2025-12-31', seed: 100 },
  { name: 'c500', events: 500, catalogue: utrecht2019, start: '2022-01-01', end: '2025-12-31', seed: 500 },
  { name: 'm100', events: 100, catalogue: utrecht2015, start: '2018-07-01', end: '2021-06-30', migrateOn: '2019-10-01', seed: 7 },
];

const KNOWN_NOW = '2100-01-01T00:00:00Z';
const results: Result[] = [];
const log = (s: string) => process.stdout.write(`${s}\n`);

for (const spec of specs) {
  const h = build(spec);
  if (DUMP) {
    writeFileSync(`${DUMP}/${spec.name}.json`, JSON.stringify(h));
    continue;
  }
  const events = h.map((e) => e.event);
  const state = fold(events) as RegisteredContract;
  const today = addDays(spec.start, Math.round((Date.parse(spec.end) - Date.parse(spec.start)) / DAY_MS * 0.6));
  const past = addDays(spec.start, 200);
  const contributions = Object.keys(state.contributions).length;
  log(`# ${spec.name}: ${h.length} events, ${contributions} contributions, ${state.periods.length} catalogue period(s); today=${today} past=${past}`);
  results.push(measure(`${spec.name} statusOf asOf=today`, () => statusOf(h, { asOf: today, knownAt: KNOWN_NOW })));
  results.push(measure(`${spec.name} statusOf asOf=past`, () => statusOf(h, { asOf: past, knownAt: KNOWN_NOW })));
  results.push(measure(`${spec.name} figuresOf (folded)`, () => figuresOf(state, today, KNOWN_NOW)));
  results.push(measure(`${spec.name} fold`, () => fold(events)));
  // What a recorded hire costs the folded state of a service's cache: one evolve on it, with a
  // placement id never seen before, as every hire has.
  const hire = events.find((e) => e.type === 'HireRecorded');
  if (hire?.type === 'HireRecorded') {
    let n = 0;
    results.push(measure(`${spec.name} evolve one more hire`, () => evolve(state, { ...hire, data: { ...hire.data, placementId: `bench-hire-${++n}` } })));
  }
  if (spec.events === 100) {
    results.push(measure(`${spec.name} audit`, () => audit(h, { asOf: today })));
    results.push(measure(`${spec.name} replay`, () => replay(h, undefined, { asOf: today })));
  }
}

if (DUMP) process.exit(0);
const baseline = new Map<string, Result>();
if (BASELINE) for (const r of JSON.parse(readFileSync(BASELINE, 'utf8')) as Result[]) baseline.set(r.name, r);

const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const head = ['case', 'ops/s', 'µs/op', ...(baseline.size ? ['before µs/op', 'after/before'] : [])];
const rows = results.map((r) => {
  const b = baseline.get(r.name);
  return [r.name, fmt(r.ops, 0), fmt(r.us), ...(baseline.size ? [b ? fmt(b.us) : '-', b ? fmt(r.us / b.us, 3) : '-'] : [])];
});
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
log('');
log(line(head));
log(`|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of rows) log(line(r));
log(`\nnode ${process.version}, ${MS} ms per measurement`);
if (OUT) writeFileSync(OUT, JSON.stringify(results, null, 2));
