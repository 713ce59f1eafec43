/**
 * Read-model rebuild benchmark: generates an event store of BENCH_EVENTS realistic contract events
 * (built through the domain's `decide`: registrations, hires, hire changes and ends, purchases,
 * knowledge sharing, verifications, value and period changes; contracts interleaved in the log),
 * then runs `rebuildReadModels` over it in a CHILD process and reports its throughput and the
 * child's peak RSS (so the generation's memory does not count).
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register test/bench/rebuild.bench.ts
 *
 * Environment (all optional):
 *   BENCH_EVENTS          events in the store                   (default 1,000,000)
 *   BENCH_EVENTS_PER_CONTRACT  events per contract, about       (default 100; contracts = events / this)
 *   BENCH_DIR             where the store is generated/cached   (default os.tmpdir())
 *   BENCH_REUSE           '1' (default) reuses a store generated earlier with the same size; '0' regenerates
 *   BENCH_RUNS            rebuilds measured (best is reported)   (default 1)
 *   BENCH_NODE_ARGS       extra node flags for the child, e.g. '--cpu-prof --cpu-prof-dir=tmp/prof'
 *   BENCH_VERBOSE         '1' shows what the child writes to stderr
 */
import { decide, evolve, initialState, isDomainError, utrecht2019, type ContractCommand, type ContractState } from '@sroi/domain';
import { SqliteEventStore, type EventData, type EventStore, type JsonValue } from '@sroi/event-store';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

/** What the child loads by path (from the compiled tree), rather than through the package index. */
interface ChildModules {
  SqliteEventStore: new (options: { path: string; synchronous: 'OFF' }) => SqliteEventStore;
  rebuildReadModels(store: EventStore, file: string): Promise<{ events: number; contracts: number; elapsedMs: number }>;
}

async function childModules(): Promise<ChildModules> {
  // The SQLite engine itself, not @sroi/event-store's index, which loads the EventStoreDB client too.
  const engine = join(__dirname, '../../libs/event-store/src/sqlite/sqlite-event-store');
  const rebuild = join(__dirname, '../../apps/api/src/projections/rebuild');
  const [{ SqliteEventStore }, { rebuildReadModels }] = (await Promise.all([import(engine), import(rebuild)])) as [ChildModules, ChildModules];
  return { SqliteEventStore, rebuildReadModels };
}

const GOALS = { eventsPerSecond: 200_000, seconds: 5, peakRssMb: 150 } as const;

function envCount(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, not '${raw}'`);
  return value;
}

/** Deterministic PRNG (mulberry32), so that a given size always generates the same store. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MUNICIPALITIES = ['Utrecht', 'Amersfoort', 'Nieuwegein', 'Zeist', 'Houten', 'IJsselstein', 'Woerden', 'Veenendaal'];

interface Generated {
  id: string;
  state: ContractState;
  events: number;
  start: Date;
  placements: string[];
  unverified: string[];
  next: number;
}

const day = 86_400_000;
const iso = (d: Date): string => d.toISOString().slice(0, 10);

/** One command for a contract: a realistic mix, with dates inside its period. */
function nextCommand(c: Generated, random: () => number): ContractCommand {
  const at = (maxDays: number) => iso(new Date(c.start.getTime() + Math.floor(random() * maxDays) * day));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const r = random();
  const n = c.next++;
  if (r < 0.22 && c.unverified.length > 0) {
    const id = c.unverified.splice(Math.floor(random() * c.unverified.length), 1)[0];
    return { type: 'RecordVerification', data: { contributionId: id, verdict: random() < 0.9 ? 'verified' : 'rejected', note: 'gecontroleerd' } };
  }
  if (r < 0.42) {
    return {
      type: 'RecordHire',
      data: { placementId: `p-${n}`, candidateRef: `cand-${c.id}-${n}`, blockCode: 'PW', bonusCodes: [], startDate: at(600), hoursPerWeek: 20 + Math.floor(random() * 17), permanent: random() < 0.2 },
    };
  }
  if (r < 0.55 && c.placements.length > 0) {
    const placementId = pick(c.placements);
    return random() < 0.7
      ? { type: 'ChangePlacement', data: { placementId, effectiveDate: at(700), hoursPerWeek: 16 + Math.floor(random() * 21), permanent: random() < 0.5 } }
      : { type: 'EndPlacement', data: { placementId, endDate: at(720), reason: 'Einde dienstverband' } };
  }
  if (r < 0.8) {
    return {
      type: 'RecordPurchase',
      data: {
        contributionId: `k-${n}`,
        supplier: { name: 'Reinaerde', kvk: '30123456' },
        invoiceReference: `F-${c.id}-${n}`,
        amountExclVatCents: 10_000 + Math.floor(random() * 5_000_000),
        date: at(700),
        blockCode: 'SOCIAL-PURCHASE',
      },
    };
  }
  if (r < 0.94) {
    return { type: 'RecordKnowledgeSharing', data: { contributionId: `ks-${n}`, description: 'Gastlessen op het ROC', date: at(700), blockCode: 'INITIATIVE', hours: 4 + Math.floor(random() * 60) } };
  }
  if (r < 0.97) {
    return { type: 'ChangeContractValue', data: { contractValueCents: 50_000_000 + Math.floor(random() * 200_000_000), effectiveDate: at(700), reason: 'Meerwerk' } };
  }
  return { type: 'ChangeContractPeriod', data: { endDate: iso(new Date(c.start.getTime() + (760 + Math.floor(random() * 400)) * day)), reason: 'Verlenging' } };
}

function register(c: Generated, index: number, random: () => number): ContractCommand {
  return {
    type: 'RegisterContract',
    data: {
      contractId: c.id,
      municipality: MUNICIPALITIES[index % MUNICIPALITIES.length],
      title: `Contract ${index} onderhoud openbare ruimte`,
      tenderReference: `TND-${index}`,
      contractor: { kvk: String(10_000_000 + (index % 997) * 7919).slice(0, 8), name: `Aannemer ${index % 997} B.V.` },
      contractValueCents: 50_000_000 + Math.floor(random() * 200_000_000),
      sroiPercentage: 5,
      startDate: iso(c.start),
      endDate: iso(new Date(c.start.getTime() + 750 * day)),
      catalogue: utrecht2019,
    },
  };
}

/** Decides commands until `count` events are produced (refused commands are skipped). */
function eventsFor(c: Generated, index: number, count: number, random: () => number): EventData[] {
  const out: EventData[] = [];
  let attempts = 0;
  while (out.length < count && attempts++ < count * 20) {
    const command = c.events === 0 ? register(c, index, random) : nextCommand(c, random);
    let events;
    try {
      events = decide(command, c.state);
    } catch (error) {
      if (isDomainError(error)) continue;
      throw error;
    }
    for (const e of events) {
      c.state = evolve(c.state, e);
      c.events++;
      out.push({ type: e.type, data: e.data as unknown as JsonValue, metadata: { schemaVersion: 1, actor: 'bench' } });
      const d = e.data as { contributionId?: string; placementId?: string };
      if (e.type === 'HireRecorded' && d.placementId) {
        c.placements.push(d.placementId);
        c.unverified.push(d.placementId);
      } else if ((e.type === 'PurchaseRecorded' || e.type === 'KnowledgeSharingRecorded') && d.contributionId) c.unverified.push(d.contributionId);
      else if (e.type === 'PlacementEnded' && d.placementId) c.placements.splice(c.placements.indexOf(d.placementId), 1);
    }
  }
  return out;
}

async function generate(path: string, total: number, perContract: number): Promise<void> {
  const contracts = Math.max(1, Math.round(total / perContract));
  const random = prng(20240630);
  const tmpPath = `${path}.generating`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${tmpPath}${suffix}`, { force: true });
  const store = new SqliteEventStore({ path: tmpPath, synchronous: 'OFF' });
  const all: Generated[] = Array.from({ length: contracts }, (_, i) => ({
    id: `bench-${String(i).padStart(6, '0')}`,
    state: initialState,
    events: 0,
    start: new Date(Date.UTC(2022, 0, 1) + Math.floor(random() * 900) * day),
    placements: [],
    unverified: [],
    next: 0,
  }));
  const started = performance.now();
  let written = 0;
  // Rounds: each contract gets a few events per round, so contracts interleave in $all.
  const perRound = 5;
  while (written < total) {
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < all.length && written < total; i++) {
      const c = all[i];
      const events = eventsFor(c, i, Math.min(perRound, total - written), random);
      if (events.length === 0) continue;
      const expectedRevision = c.events - events.length === 0 ? ('no_stream' as const) : BigInt(c.events - events.length - 1);
      appends.push(store.appendToStream(`contract-${c.id}`, events, { expectedRevision }));
      written += events.length;
    }
    await Promise.all(appends);
    process.stdout.write(`\r  generated ${written.toLocaleString('en')} / ${total.toLocaleString('en')} events (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  process.stdout.write('\n');
  await store.close();
  renameSync(tmpPath, path);
}

const ROOT = resolve(__dirname, '../..');
/**
 * What the child may load, compiled to plain JavaScript (see {@link compileChild}): the libraries and
 * the whole service's source, so that an import the rebuild gains cannot leave the child without it
 * (only what the rebuild imports is loaded).
 */
const CHILD_SOURCES = ['libs/domain/src', 'libs/event-store/src', 'libs/integration-events/src', 'apps/api/src', 'test/bench/rebuild.bench.ts'];

/**
 * Compiles the child's sources to CommonJS in `out` (tsconfig path aliases rewritten), so that the
 * child runs on plain Node: a TypeScript loader such as @swc-node/register alone holds ~90 MB of
 * RSS, which would be measured as the rebuild's.
 */
async function compileChild(out: string): Promise<string> {
  // Loaded here only: the child must not load the compiler.
  const { transformFileSync } = await import('@swc/core');
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  const compile = (file: string) => {
    const rel = relative(ROOT, file);
    const { code } = transformFileSync(file, {
      swcrc: false,
      sourceMaps: false,
      module: { type: 'commonjs' },
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        target: 'es2022',
        baseUrl: ROOT,
        paths: compilerOptions.paths,
        transform: { legacyDecorator: true, decoratorMetadata: true },
      },
    });
    const target = join(out, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  };
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
    else if (path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.d.ts')) compile(path);
  };
  for (const source of CHILD_SOURCES) walk(join(ROOT, source));
  // Packages are resolved from the repository's node_modules.
  const link = join(out, 'node_modules');
  rmSync(link, { recursive: true, force: true });
  writeFileSync(join(out, 'package.json'), '{"private":true}');
  symlinkSync(join(ROOT, 'node_modules'), link, 'dir');
  return join(out, 'test/bench/rebuild.bench.js');
}

interface ChildResult {
  events: number;
  contracts: number;
  elapsedMs: number;
  maxRssMb: number;
  /** Memory at the end of the rebuild, for diagnosis. */
  atEnd: string;
}

/** In the child: rebuild the read models from the store at `storePath`, report JSON on stdout. */
async function child(storePath: string, target: string): Promise<void> {
  const { SqliteEventStore: Engine, rebuildReadModels } = await childModules();
  const store = new Engine({ path: storePath, synchronous: 'OFF' });
  try {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
    const result = await rebuildReadModels(store, target);
    const mb = (n: number) => Math.round(n / 1024 / 1024);
    const m = process.memoryUsage();
    const out: ChildResult = {
      events: result.events,
      contracts: result.contracts,
      elapsedMs: result.elapsedMs,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      atEnd: `rss ${mb(m.rss)} MB, JS heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)} MB`,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4]);
  const total = envCount('BENCH_EVENTS', 1_000_000);
  const perContract = envCount('BENCH_EVENTS_PER_CONTRACT', 100);
  const runs = Math.max(1, envCount('BENCH_RUNS', 1));
  const dir = join(process.env['BENCH_DIR']?.trim() || os.tmpdir(), 'sroi-rebuild-bench');
  mkdirSync(dir, { recursive: true });
  const storePath = join(dir, `events-${total}-${perContract}.sqlite`);
  if (process.env['BENCH_REUSE']?.trim() === '0' || !existsSync(storePath)) {
    console.log(`Generating ${total.toLocaleString('en')} events (${Math.round(total / perContract).toLocaleString('en')} contracts) into ${storePath}`);
    await generate(storePath, total, perContract);
  } else {
    console.log(`Reusing ${storePath} (BENCH_REUSE=0 regenerates)`);
  }
  console.log(`Store: ${(statSync(storePath).size / 1024 / 1024).toFixed(0)} MB`);

  const target = join(dir, `read-models-${process.pid}.sqlite`);
  const compiled = join(dir, `child-${process.pid}`);
  const childScript = await compileChild(compiled);
  let best: ChildResult | undefined;
  for (let run = 0; run < runs; run++) {
    const nodeArgs = process.env['BENCH_NODE_ARGS']?.trim().split(/\s+/) ?? [];
    const child = spawnSync(process.execPath, [...nodeArgs, childScript, '--child', storePath, target], {
      env: process.env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (child.status !== 0) {
      process.stderr.write(child.stdout + child.stderr);
      throw new Error(`rebuild child exited with ${child.status ?? child.signal}`);
    }
    if (process.env['BENCH_VERBOSE'] === '1') process.stderr.write(child.stderr);
    const result = JSON.parse(child.stdout.trim().split('\n').pop() as string) as ChildResult;
    console.log(`  run ${run + 1}: ${(result.elapsedMs / 1000).toFixed(2)} s, peak RSS ${result.maxRssMb.toFixed(0)} MB (at the end: ${result.atEnd})`);
    if (!best || result.elapsedMs < best.elapsedMs) best = result;
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  rmSync(compiled, { recursive: true, force: true });
  const r = best as ChildResult;
  const seconds = r.elapsedMs / 1000;
  const rate = r.events / seconds;
  // The time goal is for 1,000,000 events; scale it for other sizes.
  const secondsGoal = (GOALS.seconds * r.events) / 1_000_000;
  const rows: [string, string, string, boolean][] = [
    ['events', r.events.toLocaleString('en'), '', true],
    ['contracts', r.contracts.toLocaleString('en'), '', true],
    ['rebuild time (s)', seconds.toFixed(2), `<= ${secondsGoal.toFixed(2)}`, seconds <= secondsGoal],
    ['throughput (events/s)', Math.round(rate).toLocaleString('en'), `>= ${GOALS.eventsPerSecond.toLocaleString('en')}`, rate >= GOALS.eventsPerSecond],
    ['peak RSS of the rebuild (MB)', r.maxRssMb.toFixed(0), `<= ${GOALS.peakRssMb}`, r.maxRssMb <= GOALS.peakRssMb],
  ];
  console.log('');
  console.log(`| ${'metric'.padEnd(28)} | ${'measured'.padStart(12)} | ${'goal'.padEnd(12)} | result |`);
  console.log(`|${'-'.repeat(30)}|${'-'.repeat(14)}|${'-'.repeat(14)}|--------|`);
  for (const [name, value, goal, ok] of rows) {
    console.log(`| ${name.padEnd(28)} | ${value.padStart(12)} | ${goal.padEnd(12)} | ${goal ? (ok ? 'PASS' : 'FAIL').padEnd(6) : ''.padEnd(6)} |`);
  }
  if (rows.some(([, , goal, ok]) => goal && !ok)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
