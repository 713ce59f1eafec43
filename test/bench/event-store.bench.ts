/**
 * Event store benchmark: durable appends (one event per append, and batches of 100) to 10,000
 * streams, then a read of the whole global log ($all), on our SQLite engine and on
 * emmett-sqlite as the peer, alternately in one process, each engine on its own fresh file.
 *
 *   npm run bench:store
 *
 * Environment (all optional):
 *   BENCH_SINGLE_EVENTS  events appended one per append        (default 50,000; fsync-bound)
 *   BENCH_BATCH_EVENTS   events appended in batches            (default 1,000,000)
 *   BENCH_BATCH_SIZE     events per batch append               (default 100)
 *   BENCH_STREAMS        streams the appends go round-robin to (default 10,000)
 *   BENCH_WARMUP_EVENTS  events per engine written and read on a throw-away file first (default 2,000)
 *   BENCH_SLICES         turns each engine takes per append scenario (default 20; see runInterleaved)
 *   BENCH_DIR            where the temporary folder is made    (default os.tmpdir())
 *   BENCH_PEER           'connection' (default) or 'facade': how emmett-sqlite is driven (see contenders.ts)
 *   BENCH_CONCURRENCY    appends in flight at once in the concurrent single-event scenario (default 16),
 *                        as a service sees them from many clients; ours commits them in groups
 */
import { mkdtempSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import {
  EmmettConnectionContender,
  EmmettFacadeContender,
  OursContender,
  isDurable,
  type BenchEvent,
  type Contender,
  type DurabilityReport,
} from './contenders';

interface BenchConfig {
  singleEvents: number;
  batchEvents: number;
  batchSize: number;
  streams: number;
  warmupEvents: number;
  slices: number;
  dir: string;
  peer: 'connection' | 'facade';
  concurrency: number;
}

type Side = 'ours' | 'peer';

interface Measurement {
  events: number;
  seconds: number;
}

interface Scenario {
  name: string;
  /** Minimum events/s for our engine. */
  goal: number;
  /** Whether the events it counts are written to the file (and so read back by $all). */
  writes?: boolean;
  /** Why the peer does not run this scenario, when it does not. */
  peerSkipped?: string;
  job(contender: Contender, side: Side): Job;
}

const GOALS = { single: 4_000, batch: 30_000, readAll: 500_000, ratio: 1.0 } as const;

function envCount(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, not '${raw}'`);
  return value;
}

function readConfig(): BenchConfig {
  const peer = (process.env['BENCH_PEER']?.trim() || 'connection') as BenchConfig['peer'];
  if (peer !== 'connection' && peer !== 'facade') throw new Error(`BENCH_PEER must be 'connection' or 'facade'`);
  const config: BenchConfig = {
    singleEvents: envCount('BENCH_SINGLE_EVENTS', 50_000),
    batchEvents: envCount('BENCH_BATCH_EVENTS', 1_000_000),
    batchSize: envCount('BENCH_BATCH_SIZE', 100),
    streams: envCount('BENCH_STREAMS', 10_000),
    warmupEvents: envCount('BENCH_WARMUP_EVENTS', 2_000),
    slices: Math.max(1, envCount('BENCH_SLICES', 20)),
    dir: process.env['BENCH_DIR']?.trim() || os.tmpdir(),
    peer,
    concurrency: Math.max(1, envCount('BENCH_CONCURRENCY', 16)),
  };
  if (config.streams < 1 || config.batchSize < 1) throw new Error('BENCH_STREAMS and BENCH_BATCH_SIZE must be at least 1');
  if (config.batchEvents % config.batchSize !== 0) {
    throw new Error(`BENCH_BATCH_EVENTS (${config.batchEvents}) must be a multiple of BENCH_BATCH_SIZE (${config.batchSize})`);
  }
  return config;
}

/** Stream ids and their events' payloads, made once so both engines get identical input. */
class Workload {
  private readonly streamIds = new Map<string, string[]>();
  private readonly contractIds: string[];
  /** Events already in each stream, per engine and stream prefix: the expected revision an app would track. */
  private readonly counts = new Map<string, Uint32Array>();

  constructor(readonly streams: number) {
    this.contractIds = Array.from({ length: streams }, (_, i) => `contract-${String(i).padStart(5, '0')}`);
  }

  stream(prefix: string, index: number): string {
    let ids = this.streamIds.get(prefix);
    if (!ids) {
      ids = Array.from({ length: this.streams }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
      this.streamIds.set(prefix, ids);
    }
    return ids[index];
  }

  revisions(side: Side, prefix: string): Uint32Array {
    const key = `${side}:${prefix}`;
    let counts = this.counts.get(key);
    if (!counts) {
      counts = new Uint32Array(this.streams);
      this.counts.set(key, counts);
    }
    return counts;
  }

  events(streamIndex: number, count: number): BenchEvent[] {
    const events: BenchEvent[] = new Array(count);
    for (let i = 0; i < count; i++) {
      events[i] = {
        type: 'PlacementRecorded',
        data: { contractId: this.contractIds[streamIndex], hours: 24, valueCents: 1322374 },
        metadata: { actor: 'bench' },
      };
    }
    return events;
  }
}

/**
 * A measured piece of work, run in slices so that the engines can take turns: each slice is timed
 * on its own and the times add up. Interleaving spreads any drift of the machine (a cloud disk's
 * fsync latency, its throttling, the kernel flushing) over both engines instead of one.
 */
interface Job {
  readonly done: boolean;
  /** Runs the next slice; returns the events it handled. */
  step(): Promise<number>;
}

/** `appends` appends of `perAppend` events, round-robin over the streams, each with its exact expected revision. */
class AppendJob implements Job {
  private next = 0;
  private readonly revisions: Uint32Array;
  private readonly perSlice: number;

  constructor(
    private readonly contender: Contender,
    private readonly workload: Workload,
    side: Side,
    private readonly prefix: string,
    private readonly appends: number,
    private readonly perAppend: number,
    slices = 1,
    /** Appends in flight at once, as from that many clients; never two to one stream. */
    private readonly concurrency = 1,
  ) {
    this.revisions = workload.revisions(side, prefix);
    this.perSlice = Math.max(1, Math.ceil(appends / slices));
  }

  get done(): boolean {
    return this.next >= this.appends;
  }

  async step(): Promise<number> {
    const { contender, workload, prefix, perAppend, revisions } = this;
    const end = Math.min(this.appends, this.next + this.perSlice);
    const first = this.next;
    let next = first;
    const writer = async () => {
      for (let i = next++; i < end; i = next++) {
        const streamIndex = i % workload.streams;
        await contender.append(workload.stream(prefix, streamIndex), workload.events(streamIndex, perAppend), revisions[streamIndex]);
        revisions[streamIndex] += perAppend;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, workload.streams) }, writer));
    this.next = end;
    return (end - first) * perAppend;
  }
}

/** Reads the whole global log in one slice and checks the count. */
class ReadAllJob implements Job {
  done = false;

  constructor(
    private readonly contender: Contender,
    private readonly expected: () => number,
    private readonly side: Side,
  ) {}

  async step(): Promise<number> {
    const events = await this.contender.readAll();
    this.done = true;
    if (events !== this.expected()) throw new Error(`${this.side}: $all returned ${events} events, ${this.expected()} were written`);
    return events;
  }
}

/** Runs a job to its end untimed (warm-up). */
async function runToEnd(job: Job): Promise<number> {
  let events = 0;
  while (!job.done) events += await job.step();
  return events;
}

/**
 * Runs both engines' jobs slice by slice, taking turns; who goes first alternates every round.
 * Returns each engine's events and summed seconds.
 */
async function runInterleaved(jobs: Record<Side, Job>, label: string): Promise<Record<Side, Measurement>> {
  const measured: Record<Side, Measurement> = { ours: { events: 0, seconds: 0 }, peer: { events: 0, seconds: 0 } };
  let lastReport = Date.now();
  for (let round = 0; !jobs.ours.done || !jobs.peer.done; round++) {
    const order: Side[] = round % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
    for (const side of order) {
      if (jobs[side].done) continue;
      collectGarbage();
      const started = process.hrtime.bigint();
      const events = await jobs[side].step();
      measured[side].seconds += secondsSince(started);
      measured[side].events += events;
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      const rate = (side: Side) => `${side} ${fmt(measured[side].events)} ev at ${fmt(measured[side].events / measured[side].seconds)} ev/s`;
      log(`    … ${label}: ${rate('ours')}, ${rate('peer')}`);
    }
  }
  return measured;
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function packageVersion(name: string): string {
  try {
    let dir = dirname(require.resolve(name));
    for (let depth = 0; depth < 5; depth++, dir = dirname(dir)) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (manifest.name === name) return manifest.version ?? '?';
      } catch {
        // no package.json at this level
      }
    }
  } catch {
    // not installed
  }
  return '?';
}

const FILE_SYSTEMS: Record<number, string> = {
  0xef53: 'ext2/3/4',
  0x01021994: 'tmpfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x6a656a63: 'fakeowner',
};

function fileSystemOf(dir: string): string {
  try {
    const type = statfsSync(dir).type;
    return FILE_SYSTEMS[type] ?? `type 0x${type.toString(16)}`;
  } catch {
    return 'unknown';
  }
}

function sizeOnDisk(file: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      bytes += statSync(file + suffix).size;
    } catch {
      // absent
    }
  }
  return bytes;
}

function describeDurability(report: DurabilityReport): string {
  const names = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
  return (
    `SQLite ${report.sqliteVersion} (compiled ${report.compiledDefaults}); journal_mode=${report.journalMode}, ` +
    `synchronous=${names[report.synchronous] ?? report.synchronous} — ${report.notes}`
  );
}

async function openContender(side: Side, file: string, config: BenchConfig): Promise<Contender> {
  if (side === 'ours') return new OursContender(file);
  return config.peer === 'facade' ? new EmmettFacadeContender(file) : EmmettConnectionContender.open(file);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
  log(line(header));
  log(`|${widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`)).join('|')}|`);
  for (const row of rows) log(line(row));
}

async function main(): Promise<void> {
  const config = readConfig();
  const workload = new Workload(config.streams);
  const folder = mkdtempSync(join(config.dir, 'sroi-event-store-bench-'));
  const cpus = os.cpus();

  log('Event store benchmark — ours (SqliteEventStore) vs peer (emmett-sqlite)');
  log(`date:     ${new Date().toISOString()}`);
  log(`machine:  ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`);
  log(`node:     ${process.version}; better-sqlite3 ${packageVersion('better-sqlite3')}, sqlite3 ${packageVersion('sqlite3')}, ` +
      `@event-driven-io/emmett-sqlite ${packageVersion('@event-driven-io/emmett-sqlite')}`);
  log(`files:    ${folder} (${fileSystemOf(folder)}), one fresh file per engine, removed afterwards`);
  log(`counts:   single-event appends: ${fmt(config.singleEvents)} events (one append each; the rate is measured on these ${fmt(config.singleEvents)}, not on 1,000,000)`);
  log(`          concurrent single-event appends (ours only): ${fmt(config.singleEvents)} events from ${config.concurrency} writers at once`);
  log(`          batch appends: ${fmt(config.batchEvents)} events = ${fmt(config.batchEvents / config.batchSize)} appends of ${config.batchSize}`);
  log(`          both round-robin over ${fmt(config.streams)} streams with the exact expected revision ('no_stream' first)`);
  log(`          $all read: every event written to the file`);
  log(`          warm-up: ${fmt(config.warmupEvents)} events per engine on a throw-away file`);
  log(`order:    the engines take turns in ${config.slices} slices per append scenario (who goes first alternates); $all is read once each`);
  log(`peer:     BENCH_PEER=${config.peer}`);
  if (!(globalThis as { gc?: unknown }).gc) log('note:     run with --expose-gc to collect garbage between measurements');
  log();

  const contenders: Record<Side, Contender | undefined> = { ours: undefined, peer: undefined };
  try {
    // Warm-up: JIT, the sqlite3 thread pool, the page cache; on files of their own, then dropped.
    for (const side of ['ours', 'peer'] as const) {
      const file = join(folder, `warmup-${side}.sqlite`);
      const contender = await openContender(side, file, config);
      const singles = Math.ceil(config.warmupEvents / 2);
      const batches = Math.max(1, Math.floor(config.warmupEvents / 2 / config.batchSize));
      const warmup = new Workload(Math.min(config.streams, 100));
      await runToEnd(new AppendJob(contender, warmup, side, 'warmup_single', singles, 1));
      await runToEnd(new AppendJob(contender, warmup, side, 'warmup_batch', batches, config.batchSize));
      const read = await contender.readAll();
      if (read !== singles + batches * config.batchSize) throw new Error(`${side}: warm-up read ${read} events`);
      await contender.close();
      log(`warm-up ${side}: ${fmt(singles)} single + ${fmt(batches * config.batchSize)} batched events written and read back`);
    }

    const files: Record<Side, string> = { ours: join(folder, 'ours.sqlite'), peer: join(folder, 'peer.sqlite') };
    for (const side of ['ours', 'peer'] as const) {
      const contender = await openContender(side, files[side], config);
      contenders[side] = contender;
      const durability = await contender.durability();
      log(`${contender.label}:`);
      log(`    ${describeDurability(durability)}`);
      if (!isDurable(durability)) throw new Error(`${side} is not running at WAL + synchronous=FULL`);
    }
    log();

    const written: Record<Side, number> = { ours: 0, peer: 0 };
    const scenarios: Scenario[] = [
      {
        name: 'append, 1 event per append',
        goal: GOALS.single,
        writes: true,
        job: (contender, side) =>
          new AppendJob(contender, workload, side, 'placement_single', config.singleEvents, 1, config.slices),
      },
      {
        name: `append, 1 event per append, ${config.concurrency} concurrent writers`,
        goal: GOALS.single,
        writes: true,
        peerSkipped: 'n/a (1 connection)',
        job: (contender, side) =>
          new AppendJob(contender, workload, side, 'placement_concurrent', config.singleEvents, 1, config.slices, config.concurrency),
      },
      {
        name: `append, ${config.batchSize} events per append`,
        goal: GOALS.batch,
        writes: true,
        job: (contender, side) =>
          new AppendJob(contender, workload, side, 'placement_batch', config.batchEvents / config.batchSize, config.batchSize, config.slices),
      },
      {
        name: 'read $all',
        goal: GOALS.readAll,
        job: (contender, side) => new ReadAllJob(contender, () => written[side], side),
      },
    ];

    const rows: string[][] = [];
    for (const scenario of scenarios) {
      const ours = contenders.ours as Contender;
      const peer = contenders.peer as Contender;
      const peerJob: Job = scenario.peerSkipped ? { done: true, step: async () => 0 } : scenario.job(peer, 'peer');
      const results = await runInterleaved({ ours: scenario.job(ours, 'ours'), peer: peerJob }, scenario.name);
      if (scenario.peerSkipped) {
        written.ours += results.ours.events;
        const oursRate = results.ours.events / results.ours.seconds;
        log(`${scenario.name} — ours: ${fmt(results.ours.events)} events in ${results.ours.seconds.toFixed(2)} s = ${fmt(oursRate)} ev/s`);
        rows.push([
          scenario.name,
          fmt(results.ours.events),
          fmt(oursRate),
          scenario.peerSkipped,
          '—',
          `≥ ${fmt(scenario.goal)} ev/s`,
          oursRate < scenario.goal ? 'FAIL (below goal)' : 'PASS',
        ]);
        continue;
      }
      for (const side of ['ours', 'peer'] as const) {
        const result = results[side];
        if (scenario.writes) written[side] += result.events;
        log(`${scenario.name} — ${side}: ${fmt(result.events)} events in ${result.seconds.toFixed(2)} s = ${fmt(result.events / result.seconds)} ev/s`);
      }
      const oursRate = results.ours.events / results.ours.seconds;
      const peerRate = results.peer.events / results.peer.seconds;
      const ratio = oursRate / peerRate;
      const failures = [
        oursRate < scenario.goal ? 'below goal' : undefined,
        ratio < GOALS.ratio ? 'slower than peer' : undefined,
      ].filter((failure) => failure !== undefined);
      rows.push([
        scenario.name,
        fmt(results.ours.events),
        fmt(oursRate),
        fmt(peerRate),
        `${ratio.toFixed(2)}×`,
        `≥ ${fmt(scenario.goal)} ev/s, ≥ ${GOALS.ratio.toFixed(1)}× peer`,
        failures.length === 0 ? 'PASS' : `FAIL (${failures.join(', ')})`,
      ]);
    }

    log();
    log(`Results (events/s, durable: WAL + synchronous=FULL on both; ${cpus.length} CPUs, node ${process.version}, ${new Date().toISOString()})`);
    log();
    printTable(['scenario', 'events', 'ours ev/s', 'peer ev/s', 'ours/peer', 'goal', 'result'], rows);
    log();
    log(`file size after the run: ours ${(sizeOnDisk(files.ours) / 2 ** 20).toFixed(1)} MiB, peer ${(sizeOnDisk(files.peer) / 2 ** 20).toFixed(1)} MiB (database + WAL)`);
  } finally {
    for (const contender of Object.values(contenders)) await contender?.close().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.exitCode = 1;
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
});
