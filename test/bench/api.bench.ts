/**
 * API benchmark: the built service (dist/apps/api/main.js, Fastify) on loopback, driven by
 * autocannon in this process, on a store preloaded with BENCH_CONTRACTS contracts and
 * BENCH_EVENTS events. Not part of `npm test`.
 *
 *   npm run bench:api
 *
 * After /ready the benchmark waits for the service's background start-up work (cache warming,
 * snapshot refresh) to settle, warms the read and the write path up (the latter's first seconds
 * are a row of their own), and lets the service go quiet again before each scenario, so that the
 * scenarios measure the steady state and none pays for the previous one's backlog.
 *
 * Scenarios: recording hires (POST; as fast as 50 connections go, then sent evenly at 1,000 and at
 * the 2,000 a second its goal names), GET /status and GET /status?asOf= while hires are written
 * (as fast as 50 connections go, and for asOf also at the 1,500 requests a second its goal names),
 * GET /status without writes beside its peer, the machine's floor for that read (a bare Fastify
 * server answering the same captured bytes from memory: status-floor.server.ts), the service's
 * rate given as a ratio of the floor's; and, with the service stopped, the rebuild of every
 * projection from position 0 (`npm run rebuild`'s code) with its peak memory, and last the hires'
 * floor (hires-floor.server.ts: a bare server appending the same events to the same store), driven
 * as the service's hires rows were, with those rows set beside it (and, for its even rows, the same
 * probe inside it as inside the service: service-latency.preload.cjs); and then the status read's
 * floor under writes (the same server also answering the captured status from memory while 100
 * hires/s are appended), beside the service's status row under writes.
 *
 * Environment (all optional):
 *   BENCH_CONTRACTS     contracts preloaded                  (default 10,000)
 *   BENCH_EVENTS        events preloaded in their streams     (default 1,000,000)
 *   BENCH_DURATION      seconds per HTTP scenario             (default 10)
 *   BENCH_CONNECTIONS   autocannon connections                (default 50)
 *   BENCH_DIR           where the temporary folder is made    (default os.tmpdir())
 *   BENCH_KEEP          keep the temporary folder (1)
 *   BENCH_SERVICE_NODE_ARGS  extra node options for the service, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
 */
import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describeFullCollections, FullCollections } from './full-collections';
import { BENCH_TOKEN, benchContractId, eachLine, preloadContracts, root, rssMb, SERVICE_LATENCY_PRELOAD, ServiceLatencyProbe, startNodeOptions, waitReady, waitSettled, writeBenchTokens, type ServiceLatency } from './api-bench-support';
import { openLoop, type OpenLoopResult } from './open-loop';

const env = process.env;
const CONTRACTS = Number(env['BENCH_CONTRACTS'] ?? 10_000);
const EVENTS = Number(env['BENCH_EVENTS'] ?? 1_000_000);
const DURATION = Number(env['BENCH_DURATION'] ?? 10);
const CONNECTIONS = Number(env['BENCH_CONNECTIONS'] ?? 50);
/** The rate the goal for `GET /status?asOf=` names (requests a second). */
const AS_OF_RATE = 1_500;
/**
 * The rate the goal for recording hires names, and half of it. Sent evenly, because 50
 * connections each waiting for its answer cannot show p99 <= 20 ms at 2,000/s: by Little's law
 * their mean latency is 50 / 2,000 s = 25 ms whatever the service does.
 */
const HIRE_RATES = [1_000, 2_000];
/** Seconds of hires before the measured rows: the write path's warm-up. */
const WARM_UP_SECONDS = 3;
const PORT = 3900 + Math.floor(Math.random() * 90);
const contractId = benchContractId;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A scenario's figures, from autocannon or the open-loop client (a 409 among the non-2xx is a concurrency conflict that its one retry met again). */
type Result = Pick<OpenLoopResult, 'rps' | 'p50' | 'p99' | 'non2xx' | 'statuses' | 'errors'>;

/** `n`, and the status codes of the non-2xx answers among them: "1 (409 ×1)". */
function failures(r: Result): string {
  const codes = Object.entries(r.statuses).map(([code, count]) => `${code} ×${count}`);
  return `${r.non2xx + r.errors}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`;
}

function run(options: autocannon.Options): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    autocannon(options, (error, r) => {
      if (error) return reject(error);
      const ok = r.requests.total - r.non2xx;
      const statuses: Record<string, number> = {};
      // autocannon 9 reports it; its types do not declare it.
      const byCode = (r as autocannon.Result & { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
      for (const [code, { count }] of Object.entries(byCode)) if (!code.startsWith('2') && count > 0) statuses[code] = count;
      resolvePromise({ rps: ok / (r.duration || DURATION), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, statuses, errors: r.errors });
    });
  });
}

/** An open-loop load (open-loop.ts): a GET, or a POST of `body`, sent evenly at `rate` a second, at most CONNECTIONS at a time. */
function paced(port: number, rate: number, seconds: number, request: () => { path: string; body?: string }): Promise<OpenLoopResult> {
  return openLoop(port, rate, seconds, CONNECTIONS, { authorization: headers.authorization, 'content-type': headers['content-type'] }, () => {
    const { path, body } = request();
    return { method: body === undefined ? 'GET' : 'POST', path, body };
  });
}

const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
let hireSeq = 0;
/** A hire on a contract drawn at random: its path and body. */
const hire = (): { path: string; body: string } => ({
  path: `/v1/contracts/${contractId(Math.floor(Math.random() * CONTRACTS))}/hires`,
  body: JSON.stringify({ candidateRef: `H-${++hireSeq}`, blockCode: 'PW', startDate: '2024-01-01', hoursPerWeek: 24, permanent: false }),
});
const hireRequest = (): autocannon.Request => ({
  method: 'POST',
  setupRequest: (req) => ({ ...req, ...hire() }),
});
/** One real status answer of the service: its headers (those Node sets itself left out) and body, for the floor. */
async function captureAnswer(url: string): Promise<{ headers: Record<string, string>; body: string }> {
  const response = await fetch(`${url}/v1/contracts/${contractId(0)}/status`, { headers: { authorization: headers.authorization } });
  if (response.status !== 200) throw new Error(`status answered ${response.status}`);
  const kept: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)) kept[name] = value;
  });
  return { headers: kept, body: await response.text() };
}

/**
 * A peer server (`<name>.server.ts` beside this file, run from source) in its own process on a
 * port of its own, driven by `drive` once it prints "listening", stopped afterwards.
 */
async function withFloor<T>(name: string, floorEnv: Record<string, string>, drive: (port: number, floor: ChildProcess) => Promise<T>, nodeArgs: string[] = []): Promise<T> {
  const port = PORT + 100;
  const floor = spawn(process.execPath, [...nodeArgs, '-r', '@swc-node/register', join(__dirname, `${name}.server.ts`)], {
    cwd: root,
    env: { ...env, ...floorEnv, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'), FLOOR_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolveListening, reject) => {
      floor.stdout?.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('listening') && resolveListening());
      floor.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    });
    return await drive(port, floor);
  } finally {
    floor.kill('SIGTERM');
    if (floor.exitCode === null) await new Promise((r) => floor.once('exit', r));
  }
}

/** The floor's rate for status reads: status-floor.server.ts, driven as the service is. */
/** Where the captured status answer is kept for the floors (in the benchmark's folder). */
const FLOOR_ANSWER_FILE = 'floor-answer.json';

async function floorRun(dir: string, answer: { headers: Record<string, string>; body: string }): Promise<Result> {
  const file = join(dir, FLOOR_ANSWER_FILE);
  writeFileSync(file, JSON.stringify(answer));
  return withFloor('status-floor', { FLOOR_ANSWER: file }, async (port) => {
    const url = `http://127.0.0.1:${port}`;
    await run({ url, connections: 10, duration: 2, headers, requests: [statusRequest('')] });
    return await run({ url, connections: CONNECTIONS, duration: DURATION, headers, requests: [statusRequest('')] });
  });
}

/**
 * The floor for recording hires: hires-floor.server.ts appending to the benchmark's store (the
 * service stopped), driven as the service's hires rows are: warm-up, 50 connections, then evenly.
 */
async function hiresFloorRun(dir: string): Promise<{ full: Result; even: Result[]; evenInside: ServiceLatency[]; statusUnderWrites: Result }> {
  return withFloor('hires-floor', { SROI_DATA_DIR: dir, FLOOR_ANSWER: join(dir, FLOOR_ANSWER_FILE) }, async (port, floor) => {
    const url = `http://127.0.0.1:${port}`;
    // The same probe as the service's: its requests' time inside, its event loop, its appends' waits and finishing checkpoints.
    const inside = new ServiceLatencyProbe(floor);
    eachLine(floor, (line) => inside.line(line));
    await run({ url, connections: 10, duration: WARM_UP_SECONDS, headers, requests: [hireRequest()] });
    await waitSettled(floor, 60_000);
    const full = await run({ url, connections: CONNECTIONS, duration: DURATION, headers, requests: [hireRequest()] });
    const even: Result[] = [];
    const evenInside: ServiceLatency[] = [];
    for (const rate of HIRE_RATES) {
      await waitSettled(floor, 60_000);
      const [r, measuredInside] = await inside.around(() => paced(port, rate, DURATION, hire));
      even.push(r);
      evenInside.push(measuredInside);
    }
    // The status read's floor under writes: the captured answer from memory, 100 hires/s appended durably meanwhile.
    await waitSettled(floor, 60_000);
    await run({ url, connections: 10, duration: 2, headers, requests: [statusRequest('')] });
    const [statusUnderWrites] = await Promise.all([
      run({ url, connections: CONNECTIONS, duration: DURATION, headers, requests: [statusRequest('')] }),
      run({ url, connections: 2, duration: DURATION, overallRate: 100, headers, requests: [hireRequest()] }),
    ]);
    return { full, even, evenInside, statusUnderWrites };
  }, SERVICE_LATENCY_PRELOAD);
}

const statusRequest = (query: string): autocannon.Request => ({
  method: 'GET',
  setupRequest: (req) => ({ ...req, path: `/v1/contracts/${contractId(Math.floor(Math.random() * CONTRACTS))}/status${query}` }),
});

async function main(): Promise<void> {
  const dir = mkdtempSync(join(env['BENCH_DIR'] ?? os.tmpdir(), 'sroi-bench-api-'));
  log(`sroi-ledger API benchmark: ${CONTRACTS} contracts, ${EVENTS} events, ${DURATION} s per scenario, ${CONNECTIONS} connections, ${os.cpus().length} cores, Node ${process.version}`);
  /** The service's hires rows, to set beside their floor's at the end. */
  const serviceHires: { full?: Result; even: OpenLoopResult[] } = { even: [] };
  /** Inside the service during the hires sent evenly, by rate. */
  const inService: ServiceLatency[] = [];
  /** The service's status row under writes, to set beside its floor's at the end. */
  let serviceStatusUnderWrites: Result | undefined;
  try {
    writeBenchTokens(dir);
    await preloadContracts(dir, CONTRACTS, EVENTS, log);
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
    const nodeArgs = (env['BENCH_SERVICE_NODE_ARGS'] ?? '').split(' ').filter((a) => a.length > 0);
    // The service's own share of the hires' latency is measured inside it (see the preload).
    // --trace-gc: which rows held a full collection of the service's heap (see FullCollections).
    const child = spawn(process.execPath, [...startNodeOptions(), '--trace-gc', ...SERVICE_LATENCY_PRELOAD, ...nodeArgs, join(root, 'dist/apps/api/main.js')], {
      cwd: root,
      env: { ...env, SROI_DATA_DIR: dir, PORT: String(PORT), SROI_DEMO: 'off', HOST: '127.0.0.1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // The heap compaction's line is shown.
    const inside = new ServiceLatencyProbe(child);
    const collections = new FullCollections();
    eachLine(child, (line) => {
      if (inside.line(line) || collections.line(line)) return;
      if (line.includes('compacted the heap')) log(`service: ${line.replace(/^.*\[HeapCompaction\]\s*/, '')}`);
    });
    try {
      const readyMs = await waitReady(PORT, child, 600_000);
      log(`service ready (projections caught up from position 0) after ${(readyMs / 1000).toFixed(1)} s`);
      const settled = await waitSettled(child, 300_000);
      log(`service settled (start-up work in the background done, CPU < 10 %) ${settled.toFixed(0)} s later`);
      const url = `http://127.0.0.1:${PORT}`;
      const rows: string[] = [];
      const waited: number[] = [];
      // Where the row began: the full collections since are the row's.
      let rowStart = collections.mark();
      const row = (name: string, r: Result, goal: string) =>
        rows.push(`| ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${failures(r)} | ${rssMb(child)} | ${describeFullCollections(collections.since(rowStart))} | ${goal} |`);
      log(`service RSS when settled: ${rssMb(child)} MB`);

      // Warm-up of the read path and of the write path (the append thread starts with the first
      // hire; the write path's code is compiled in its first seconds). The write path's first
      // seconds are shown as a row of their own: what the first hires after a start meet.
      await run({ url, connections: 10, duration: 2, headers, requests: [statusRequest('')] });
      rowStart = collections.mark();
      row(`POST /hires, the first ${WARM_UP_SECONDS} s after start-up (warm-up, 10 connections)`, await run({ url, connections: 10, duration: WARM_UP_SECONDS, headers, requests: [hireRequest()] }), '(not a goal row)');
      // Each row starts on a quiet service, so that it does not pay for the previous row's backlog.
      const quiet = async () => {
        waited.push(await waitSettled(child, 60_000));
        rowStart = collections.mark();
      };

      await quiet();
      serviceHires.full = await run({ url, connections: CONNECTIONS, duration: DURATION, headers, requests: [hireRequest()] });
      row('POST /hires (record a hire)', serviceHires.full, '≥ 2,000/s, p99 ≤ 20 ms');
      for (const rate of HIRE_RATES) {
        await quiet();
        const [even, measuredInside] = await inside.around(() => paced(PORT, rate, DURATION, hire));
        serviceHires.even.push(even);
        inService.push(measuredInside);
        row(`POST /hires sent evenly at ${rate.toLocaleString('en')}/s`, even, 'p99 ≤ 20 ms at ≥ 2,000/s');
      }
      await quiet();
      const writer = () => run({ url, connections: 2, duration: DURATION, overallRate: 100, headers, requests: [hireRequest()] });
      const [status] = await Promise.all([run({ url, connections: CONNECTIONS, duration: DURATION, headers, requests: [statusRequest('')] }), writer()]);
      row('GET /status (100 hires/s written meanwhile)', status, '≥ 15,000/s, p99 ≤ 10 ms');
      serviceStatusUnderWrites = status;
      await quiet();
      const [asOf] = await Promise.all([run({ url, connections: CONNECTIONS, duration: DURATION, headers, requests: [statusRequest('?asOf=2024-06-30')] }), writer()]);
      row('GET /status?asOf= (100 hires/s written meanwhile)', asOf, '≥ 1,500/s, p99 ≤ 20 ms');
      // The goal names a rate: the latency of requests sent at 1,500 a second, evenly (autocannon's
      // rates send each second's requests in a burst at its start).
      await quiet();
      const [asOfPaced] = await Promise.all([paced(PORT, AS_OF_RATE, DURATION, () => ({ path: `/v1/contracts/${contractId(Math.floor(Math.random() * CONTRACTS))}/status?asOf=2024-06-30` })), writer()]);
      row(`GET /status?asOf= sent evenly at ${AS_OF_RATE.toLocaleString('en')}/s (100 hires/s written meanwhile)`, asOfPaced, 'p99 ≤ 20 ms at ≥ 1,500/s');
      // The same read without writes, then at once its peer on this machine.
      await quiet();
      const alone = await run({ url, connections: CONNECTIONS, duration: DURATION, headers, requests: [statusRequest('')] });
      row('GET /status (no writes)', alone, '(beside its floor)');
      const floor = await floorRun(dir, await captureAnswer(url));
      rows.push(`| GET /status's floor: bare Fastify, the same bytes from memory (no writes) | ${Math.round(floor.rps)} | ${floor.p50} | ${floor.p99} | ${failures(floor)} | | | (the machine's limit for this read) |`);
      log("\n| scenario | req/s (2xx) | p50 ms | p99 ms | errors/non-2xx | service RSS MB after | the service's full collections in the row | goal |\n|:--|--:|--:|--:|--:|--:|:--|:--|");
      rows.forEach((r) => log(r));
      log(
        '\n| POST /hires sent evenly: where the p99 is made | answered (the load generator) p50 / p99 | sent after due, p99 | the load generator\'s event-loop delay p99 (max) | inside the service p50 / p99 (max) | the service\'s event-loop delay p99 (max) | appends\' wait for their durable commit p50 / p99 (max) | the writer\'s finishing WAL checkpoints: count (whole WAL copied), median (max), summed |\n|:--|--:|--:|--:|--:|--:|--:|--:|',
      );
      serviceHires.even.forEach((r, i) => {
        const s = inService[i];
        log(`| ${HIRE_RATES[i].toLocaleString('en')}/s | ${r.p50} / ${r.p99} ms | ${r.sendDelayP99} ms | ${r.generatorDelayP99} (${r.generatorDelayMax}) ms | ${s.p50} / ${s.p99} (${s.max}) ms | ${s.loopDelayP99} (${s.loopDelayMax}) ms | ${s.appendWaitP50} / ${s.appendWaitP99} (${s.appendWaitMax}) ms | ${s.finishes} (${s.finishesComplete}), ${s.finishP50} (${s.finishMax}) ms, ${s.finishTotal} ms |`);
      });
      log('(inside the service: from the request\'s head parsed to its answer handed to the socket; the rest of an answer\'s time is the kernel, the wait for the event loop to read the request, and the load generator. An append\'s wait: from its call to its durable commit\'s outcome, the commits of the integration publisher included; a finishing WAL checkpoint holds every commit up while it runs)');
      log(`\nBefore each row the service was let go quiet (CPU < 10 % over a second): ${waited.map((w) => `${w.toFixed(0)} s`).join(', ')}`);
      log(`GET /status against its floor: ${(alone.rps / floor.rps).toFixed(2)} without writes, ${(status.rps / floor.rps).toFixed(2)} with 100 hires/s written meanwhile (the goal's 15,000/s is ${(15_000 / floor.rps).toFixed(2)} of the floor)`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }

    const started = Date.now();
    // `npm run rebuild`'s code as built above (dist/apps/api/rebuild.js): it prints its peak memory.
    const rebuild = spawnSync(process.execPath, [join(root, 'dist/apps/api/rebuild.js')], {
      cwd: root,
      env: { ...env, SROI_DATA_DIR: dir },
      encoding: 'utf8',
    });
    process.stdout.write(rebuild.stdout);
    if (rebuild.status !== 0) throw new Error(`rebuild failed: ${rebuild.stderr}`);
    const peak = Number(/peak memory (\d+) MB/.exec(rebuild.stdout)?.[1] ?? 0) * 1024;
    log(`rebuild: ${((Date.now() - started) / 1000).toFixed(1)} s wall (process start included), peak RSS ${(peak / 1024).toFixed(0)} MB (goal: 1,000,000 events in ≤ 5 s, ≤ 150 MB)`);

    // Last, as it appends to the store the rebuild has read: the hires' floor.
    const floor = await hiresFloorRun(dir);
    log('\n| POST /hires\'s floor: bare Fastify appending one event to the same store | req/s (2xx) | p50 ms | p99 ms | errors/non-2xx | the service\'s row against it |\n|:--|--:|--:|--:|--:|:--|');
    const against = (service: Result | undefined, peer: Result) => (service ? `${(service.rps / peer.rps).toFixed(2)} of the rate, p99 ${service.p99} against ${peer.p99} ms` : '');
    log(`| ${CONNECTIONS} connections as fast as they go | ${Math.round(floor.full.rps)} | ${floor.full.p50} | ${floor.full.p99} | ${failures(floor.full)} | ${against(serviceHires.full, floor.full)} |`);
    floor.even.forEach((r, i) => log(`| sent evenly at ${HIRE_RATES[i].toLocaleString('en')}/s | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${failures(r)} | ${against(serviceHires.even[i], r)} |`));
    log(
      '\n| The hires floor sent evenly: where its p99 is made | inside the floor p50 / p99 (max) | its event-loop delay p99 (max) | appends\' wait for their durable commit p50 / p99 (max) | the writer\'s finishing WAL checkpoints: count (whole WAL copied), median (max), summed | the service\'s appends\' wait p99 at that rate |\n|:--|--:|--:|--:|--:|--:|',
    );
    floor.evenInside.forEach((f, i) => {
      const service = inService[i];
      log(`| ${HIRE_RATES[i].toLocaleString('en')}/s | ${f.p50} / ${f.p99} (${f.max}) ms | ${f.loopDelayP99} (${f.loopDelayMax}) ms | ${f.appendWaitP50} / ${f.appendWaitP99} (${f.appendWaitMax}) ms | ${f.finishes} (${f.finishesComplete}), ${f.finishP50} (${f.finishMax}) ms, ${f.finishTotal} ms | ${service ? `${service.appendWaitP99} ms` : ''} |`);
    });
    const s = floor.statusUnderWrites;
    log('\n| GET /status\'s floor under writes: the same server, the captured answer from memory, 100 hires/s appended meanwhile | req/s (2xx) | p50 ms | p99 ms | errors/non-2xx | the service\'s row against it |\n|:--|--:|--:|--:|--:|:--|');
    log(`| ${CONNECTIONS} connections as fast as they go | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${failures(s)} | ${against(serviceStatusUnderWrites, s)} |`);
    log(`The goal's 15,000 status reads/s under writes is ${(15_000 / s.rps).toFixed(2)} of this floor.`);
  } finally {
    if (env['BENCH_KEEP'] !== '1') rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:api: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
