/**
 * What the API benchmarks share: the preloaded store, its token, and watching the built service
 * they start (readiness, CPU, memory). Linux's /proc for the latter.
 */
import { SqliteEventStore, type EventData } from '@sroi/event-store';
import { utrecht2019 } from '@sroi/domain';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(__dirname, '../..');
/** The advisor token of Utrecht the benchmarks send (its hash is in the tokens file they write). */
export const BENCH_TOKEN = 'bench-advisor-token';
export const benchContractId = (i: number) => `bench-${String(i).padStart(6, '0')}`;

/** The tokens file of the benchmark's data folder: one advisor of Utrecht. */
export function writeBenchTokens(dir: string): void {
  const tokenSha256 = createHash('sha256').update(BENCH_TOKEN).digest('hex');
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify([{ tokenSha256, subject: 'bench', role: 'advisor', municipality: 'Utrecht' }]));
}

/** The node options `npm start` runs the service with (package.json; the Dockerfile has the same), so that the benchmark cannot drift from them. */
export function startNodeOptions(): string[] {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'];
  const options = /\bnode ((?:--\S+ )+)dist\/apps\/api\/main\.js/.exec(start ?? '');
  if (!options) throw new Error(`package.json's start script does not run 'node <options> dist/apps/api/main.js': ${start}`);
  return options[1].trim().split(' ');
}

/** Writes `contracts` contract streams of `events` events in all into `dir`/events.sqlite: a registration, then hires and purchases. */
export async function preloadContracts(dir: string, contracts: number, events: number, log: (line: string) => void): Promise<void> {
  const store = new SqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous: 'OFF' });
  const perContract = Math.max(1, Math.floor(events / contracts));
  const meta = { schemaVersion: 1, actor: { subject: 'bench', role: 'advisor' }, correlationId: 'bench', causationId: 'bench', idempotencyKey: null, command: 'bench' };
  const ref = { catalogueId: 'utrecht', version: '2019' };
  const started = Date.now();
  let written = 0;
  for (let i = 0; i < contracts; i++) {
    const id = benchContractId(i);
    const stream: EventData[] = [
      {
        type: 'ContractRegistered',
        data: {
          contractId: id,
          municipality: 'Utrecht',
          title: `Bench contract ${i}`,
          tenderReference: `B-${i}`,
          contractor: { kvk: String(10_000_000 + (i % 500)), name: `Contractor ${i % 500}` },
          contractValueCents: 100_000_000 + i,
          sroiBasisPoints: 500,
          startDate: '2023-01-01',
          endDate: '2025-12-31',
          catalogue: utrecht2019 as never,
          explicitVersion: false,
        },
        metadata: meta,
      },
    ];
    const n = i === contracts - 1 ? events - written - 1 : perContract - 1;
    for (let k = 0; k < n; k++) {
      stream.push(
        k % 2 === 0
          ? {
              type: 'HireRecorded',
              data: { placementId: `p-${k}`, candidateRef: `C-${i}-${k}`, catalogue: ref, blockCode: 'PW', bonusCodes: [], startDate: '2023-02-01', endDate: k % 4 === 0 ? '2024-01-31' : null, hoursPerWeek: 24, permanent: false },
              metadata: meta,
            }
          : {
              type: 'PurchaseRecorded',
              data: { contributionId: `c-${k}`, catalogue: ref, blockCode: 'SOCIAL-PURCHASE', supplier: { name: 'Reinaerde' }, invoiceReference: `I-${k}`, amountExclVatCents: 10_000 + k, date: '2023-06-01' },
              metadata: meta,
            },
      );
    }
    for (let from = 0; from < stream.length; from += 100) {
      await store.appendToStream(`contract-${id}`, stream.slice(from, from + 100), { expectedRevision: from === 0 ? 'no_stream' : BigInt(from - 1) });
    }
    written += stream.length;
    if ((i + 1) % 2000 === 0) log(`  preloaded ${i + 1} contracts, ${written} events`);
  }
  await store.close();
  log(`preloaded ${contracts} contracts and ${written} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function waitReady(port: number, child: ChildProcess, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/ready`);
      if (r.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error('the service did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The service's resident set size in MB (Linux), or NaN where /proc is not available. */
export function rssMb(child: ChildProcess): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    return Math.round(kb / 1024);
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) the process has used, in clock ticks (Linux), or NaN. */
export function cpuTicks(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/**
 * Waits until the service is quiet: its start-up work in the background (warming its caches,
 * refreshing snapshots) or the catching up after a scenario (projections, publisher) is over, its
 * CPU use over one second below 10 %. Gives the seconds waited.
 */
export async function waitSettled(child: ChildProcess, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let before = cpuTicks(child);
  if (Number.isNaN(before)) return 0;
  while (Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = cpuTicks(child);
    if (now - before < 10) break; // 100 ticks a second
    before = now;
  }
  return (Date.now() - started) / 1000;
}

/** The node options that load `service-latency.preload.cjs` into a benchmarked service. */
export const SERVICE_LATENCY_PRELOAD = ['-r', join(root, 'test/bench/service-latency.preload.cjs')];

/** What `service-latency.preload.cjs` measured inside the service while a load ran (ms). */
export interface ServiceLatency {
  requests: number;
  p50: number;
  p99: number;
  max: number;
  loopDelayP99: number;
  loopDelayMax: number;
  /** appends to the event store meanwhile, and their waits for the durable commit (ms) */
  appends: number;
  appendWaitP50: number;
  appendWaitP99: number;
  appendWaitMax: number;
  /** the writer's finishing WAL checkpoints meanwhile (no commit runs during one): how many, how many copied the whole WAL, their median, longest and summed time (ms) */
  finishes: number;
  finishesComplete: number;
  finishP50: number;
  finishMax: number;
  finishTotal: number;
}

/**
 * Reads the `SERVICE_LATENCY` lines of a service started with {@link SERVICE_LATENCY_PRELOAD} and
 * its stdout piped (feed it each line), and runs a load with the service measuring its own latency:
 * SIGUSR2 before the load starts the measurement, SIGUSR2 after it prints the figures.
 */
export class ServiceLatencyProbe {
  private waiting: ((figures: ServiceLatency) => void) | undefined;

  constructor(private readonly child: ChildProcess) {}

  /** Takes one line of the service's stdout; true when it was the probe's. */
  line(line: string): boolean {
    if (!line.startsWith('SERVICE_LATENCY ')) return false;
    this.waiting?.(JSON.parse(line.slice('SERVICE_LATENCY '.length)) as ServiceLatency);
    return true;
  }

  async around<T>(work: () => Promise<T>): Promise<[T, ServiceLatency]> {
    this.child.kill('SIGUSR2');
    const result = await work();
    const figures = new Promise<ServiceLatency>((resolveFigures, rejectFigures) => {
      const timer = setTimeout(() => rejectFigures(new Error('the service did not print its latency within 10 s (started without the preload?)')), 10_000);
      this.waiting = (f) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolveFigures(f);
      };
    });
    this.child.kill('SIGUSR2');
    return [result, await figures];
  }
}

/** Calls `onLine` with each whole line a child writes to its piped stdout (drained whole: a full pipe would block the child). */
export function eachLine(child: ChildProcess, onLine: (line: string) => void): void {
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
}
