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
 *   BENCH_DIR            where the temporary folder is made    (default os.tmpdir())
 *   BENCH_PEER           'connection' (default) or 'facade': how emmett-sqlite is driven (see contenders.ts)
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
  dir: string;
  peer: 'connection' | 'facade';
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
  run(contender: Contender, side: Side): Promise<Measurement>;
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
    dir: process.env['BENCH_DIR']?.trim() || os.tmpdir(),
    peer,
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

/** `appends` appends of `perAppend` events, round-robin over the streams, each with its exact expected revision. */
async function appendRoundRobin(
  contender: Contender,
  workload: Workload,
  side: Side,
  prefix: string,
  appends: number,
  perAppend: number,
  progressLabel?: string,
): Promise<Measurement> {
  const revisions = workload.revisions(side, prefix);
  const progress = new Progress(progressLabel, appends * perAppend);
  const started = process.hrtime.bigint();
  for (let i = 0; i < appends; i++) {
    const streamIndex = i % workload.streams;
    await contender.append(workload.stream(prefix, streamIndex), workload.events(streamIndex, perAppend), revisions[streamIndex]);
    revisions[streamIndex] += perAppend;
    if ((i & 255) === 0) progress.tick((i + 1) * perAppend, started);
  }
  return { events: appends * perAppend, seconds: secondsSince(started) };
}

/** Prints a line at most every 10 s, so that a long run can be followed in its log. */
class Progress {
  private last = Date.now();
  constructor(
    private readonly label: string | undefined,
    private readonly total: number,
  ) {}

  tick(done: number, started: bigint): void {
    if (!this.label || Date.now() - this.last < 10_000) return;
    this.last = Date.now();
    const seconds = secondsSince(started);
    log(`    … ${this.label}: ${fmt(done)}/${fmt(this.total)} events, ${fmt(done / seconds)} ev/s so far`);
  }
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
  log(`          batch appends: ${fmt(config.batchEvents)} events = ${fmt(config.batchEvents / config.batchSize)} appends of ${config.batchSize}`);
  log(`          both round-robin over ${fmt(config.streams)} streams with the exact expected revision ('no_stream' first)`);
  log(`          $all read: every event written to the file (${fmt(config.singleEvents + config.batchEvents)})`);
  log(`          warm-up: ${fmt(config.warmupEvents)} events per engine on a throw-away file`);
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
      await appendRoundRobin(contender, new Workload(Math.min(config.streams, 100)), side, 'warmup_single', singles, 1);
      await appendRoundRobin(contender, new Workload(Math.min(config.streams, 100)), side, 'warmup_batch', batches, config.batchSize);
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
        run: async (contender, side) => {
          const result = await appendRoundRobin(contender, workload, side, 'placement_single', config.singleEvents, 1, `${side} single`);
          written[side] += result.events;
          return result;
        },
      },
      {
        name: `append, ${config.batchSize} events per append`,
        goal: GOALS.batch,
        run: async (contender, side) => {
          const appends = config.batchEvents / config.batchSize;
          const result = await appendRoundRobin(contender, workload, side, 'placement_batch', appends, config.batchSize, `${side} batch`);
          written[side] += result.events;
          return result;
        },
      },
      {
        name: 'read $all',
        goal: GOALS.readAll,
        run: async (contender, side) => {
          const started = process.hrtime.bigint();
          const events = await contender.readAll();
          const seconds = secondsSince(started);
          if (events !== written[side]) throw new Error(`${side}: $all returned ${events} events, ${written[side]} were written`);
          return { events, seconds };
        },
      },
    ];

    const rows: string[][] = [];
    for (const [index, scenario] of scenarios.entries()) {
      // Alternate which engine goes first, so that neither always inherits the other's disk state.
      const order: Side[] = index % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
      const results: Partial<Record<Side, Measurement>> = {};
      for (const side of order) {
        collectGarbage();
        const contender = contenders[side] as Contender;
        const result = await scenario.run(contender, side);
        results[side] = result;
        log(`${scenario.name} — ${side}: ${fmt(result.events)} events in ${result.seconds.toFixed(2)} s = ${fmt(result.events / result.seconds)} ev/s`);
      }
      const ours = results.ours as Measurement;
      const peer = results.peer as Measurement;
      const oursRate = ours.events / ours.seconds;
      const peerRate = peer.events / peer.seconds;
      const ratio = oursRate / peerRate;
      const failures = [
        oursRate < scenario.goal ? 'below goal' : undefined,
        ratio < GOALS.ratio ? 'slower than peer' : undefined,
      ].filter((failure) => failure !== undefined);
      rows.push([
        scenario.name,
        fmt(ours.events),
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
