/**
 * Two builds of the service side by side, to judge a change to the status read or the hires: each
 * on its own copy of one preloaded store, both started and settled, then the mode's load sent to
 * one build and then the other in short windows ordered A B B A A B…, so that the machine's slow
 * and fast spells (minutes long on the development VM, up to 2× apart) fall on both alike. One
 * build after the other, minutes apart, the same comparison swung by ±40 %. Not part of `npm test`.
 *
 *   npm run build && cp -r dist/apps/api /tmp/service-a           # the build to compare against
 *   # ...change the code...
 *   PAIR_A=/tmp/service-a/main.js npm run bench:api-pair          # B: this checkout, built here
 *
 * Prints each window (requests a second, p99, the service's CPU a request from /proc; in the hires
 * modes also the p99 and the longest request inside the service, see service-latency.preload.cjs;
 * in hires-even how late the client sent its requests, the p99: all connections were busy) and,
 * for B against A, the ratio of the mean rates, of the mean CPU a request and of the mean p99s,
 * and of the median p99s (one window where both stalled for a second moves the means a lot).
 *
 * Environment:
 *   PAIR_A        a built service bundle (dist/apps/api/main.js of the build to compare against); required.
 *                 The .js files beside it go with it (the publisher's thread runs publisher.js from there)
 *   PAIR_B        another bundle instead of this checkout's build (made by the benchmark otherwise)
 *   PAIR_MODE     status (default), status-writes (100 hires/s written meanwhile), status-asof (?asOf=, with the writes),
 *                 status-after-hires (as status-writes, each window after a spell of hires at full speed and the
 *                 service's settling, as bench:api's status row follows its hires rows),
 *                 hires (recording hires, 50 connections as fast as they go), hires-even (hires sent evenly at
 *                 PAIR_RATE a second by the open-loop client: its p99 is the figure to compare)
 *   PAIR_RATE     hires a second in the hires-even mode (default 1,000)
 *   PAIR_A_FLAGS, PAIR_B_FLAGS
 *                 node options given to that build after `npm start`'s (a later V8 flag wins), to judge a
 *                 runtime setting with one bundle: PAIR_B=/tmp/service-a/main.js PAIR_B_FLAGS=--max-semi-space-size=32
 *   PAIR_A_ENV, PAIR_B_ENV
 *                 settings of the service given to that build, as NAME=value separated by spaces:
 *                 PAIR_B=/tmp/service-a/main.js PAIR_B_ENV=SROI_PUBLISHER_THREAD=on
 *   PAIR_SPELL    seconds of that spell of hires (default 5)
 *   PAIR_ROUNDS   windows on each build (default 6)
 *   PAIR_WINDOW   seconds a window (default 5)
 *   BENCH_CONTRACTS, BENCH_EVENTS, BENCH_CONNECTIONS, BENCH_DIR, BENCH_KEEP: as for bench:api
 */
import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { openLoop } from './open-loop';
import { BENCH_TOKEN, benchContractId, cpuTicks, eachLine, preloadContracts, root, SERVICE_LATENCY_PRELOAD, ServiceLatencyProbe, startNodeOptions, waitReady, waitSettled, writeBenchTokens } from './api-bench-support';

const env = process.env;
const CONTRACTS = Number(env['BENCH_CONTRACTS'] ?? 10_000);
const EVENTS = Number(env['BENCH_EVENTS'] ?? 1_000_000);
const CONNECTIONS = Number(env['BENCH_CONNECTIONS'] ?? 50);
const ROUNDS = Number(env['PAIR_ROUNDS'] ?? 6);
const WINDOW = Number(env['PAIR_WINDOW'] ?? 5);
const MODE = env['PAIR_MODE'] ?? 'status';
const MODES = ['status', 'status-writes', 'status-asof', 'status-after-hires', 'hires', 'hires-even'];
const RATE = Number(env['PAIR_RATE'] ?? 1_000);
const SPELL = Number(env['PAIR_SPELL'] ?? 5);
const WARM_UP_SECONDS = 10;
const PORT = 3700 + Math.floor(Math.random() * 90);
const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
const log = (line: string) => process.stdout.write(`${line}\n`);

interface Service {
  name: 'A' | 'B';
  port: number;
  child: ChildProcess;
  /** Its own latency, measured inside it (the hires modes). */
  inside: ServiceLatencyProbe;
}

/** The hires modes time each request inside the service too: the client's p99 also holds the machine's and the load generator's moments. */
const INSIDE = MODE === 'hires' || MODE === 'hires-even';
/** Hires sent evenly by the open-loop client, which also says how late it sent them. */
const EVEN = MODE === 'hires-even';

interface WindowLoad {
  rps: number;
  p99: number;
  /** p99 of how late the open-loop client sent its requests (ms; hires-even) */
  sentLateP99?: number;
  failed: number;
  /** hires answered 409 (see failedOf) */
  conflicts: number;
  total: number;
}

interface Window {
  rps: number;
  p99: number;
  cpuUsPerRequest: number;
  /** p99 inside the service (ms), in the hires modes */
  insideP99: number;
  /** the longest request inside the service (ms), in the hires modes */
  insideMax: number;
  /** p99 of the appends' waits for their durable commit inside the service (ms), in the hires modes */
  appendWaitP99: number;
  /** p99 of how late the client sent its requests (ms), in hires-even */
  sentLateP99?: number;
}

let hireSeq = 0;

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolvePromise, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolvePromise(result))));
}

const randomContract = () => benchContractId(Math.floor(Math.random() * CONTRACTS));

function statusReads(port: number, seconds: number): Promise<autocannon.Result> {
  const query = MODE === 'status-asof' ? '?asOf=2024-06-30' : '';
  return run({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/contracts/${randomContract()}/status${query}` }) }],
  });
}

const hireBody = () => JSON.stringify({ candidateRef: `PAIR-${++hireSeq}`, blockCode: 'PW', startDate: '2024-01-01', hoursPerWeek: 24, permanent: false });

/**
 * Requests of an autocannon run that failed. A 409 is not counted: two hires on one contract at the
 * same moment, the second of which met the first again on its one retry (the API's own answer to
 * contention; 50 connections over 10,000 contracts meet it now and then). It is reported instead.
 */
const failedOf = (r: autocannon.Result) => r.errors + r.non2xx - conflictsOf(r);
const conflictsOf = (r: autocannon.Result) => r.statusCodeStats['409']?.count ?? 0;
let conflicts = 0;

/** Hires at 100/s, or at full speed on the benchmark's connections. */
function hires(port: number, seconds: number, fullSpeed = false): Promise<autocannon.Result> {
  return run({
    url: `http://127.0.0.1:${port}`,
    ...(fullSpeed ? { connections: CONNECTIONS } : { connections: 2, overallRate: 100 }),
    duration: seconds,
    headers,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          path: `/v1/contracts/${randomContract()}/hires`,
          body: hireBody(),
        }),
      },
    ],
  });
}

/** Hires sent evenly at RATE a second (open loop: each latency counted from when the hire was due). */
function evenHires(port: number, seconds: number): Promise<WindowLoad> {
  return openLoop(port, RATE, seconds, CONNECTIONS, headers, () => ({ method: 'POST', path: `/v1/contracts/${randomContract()}/hires`, body: hireBody() })).then((r) => ({
    rps: r.rps,
    p99: r.p99,
    sentLateP99: r.sendDelayP99,
    failed: r.non2xx - (r.statuses['409'] ?? 0) + r.errors,
    conflicts: r.statuses['409'] ?? 0,
    total: Math.round(r.rps * seconds),
  }));
}

/** One window of the mode's load for `seconds`: its measured requests (the status reads, or the hires) and how many of all failed. */
async function load(s: Service, seconds: number): Promise<WindowLoad> {
  if (MODE === 'hires') {
    const r = await hires(s.port, seconds, true);
    return { rps: r.requests.average, p99: r.latency.p99, failed: failedOf(r), conflicts: conflictsOf(r), total: r.requests.total };
  }
  if (MODE === 'hires-even') return evenHires(s.port, seconds);
  const [reads, writes] = await Promise.all([statusReads(s.port, seconds), MODE === 'status' ? undefined : hires(s.port, seconds)]);
  return { rps: reads.requests.average, p99: reads.latency.p99, failed: failedOf(reads) + (writes ? failedOf(writes) : 0), conflicts: writes ? conflictsOf(writes) : 0, total: reads.requests.total };
}

async function measure(s: Service): Promise<Window> {
  const before = cpuTicks(s.child);
  const [w, inside] = INSIDE ? await s.inside.around(() => load(s, WINDOW)) : [await load(s, WINDOW), undefined];
  if (w.failed > 0) throw new Error(`build ${s.name}: ${w.failed} requests failed in a window`);
  conflicts += w.conflicts;
  // 100 clock ticks a second: a tick is 10,000 µs.
  return {
    rps: w.rps,
    p99: w.p99,
    cpuUsPerRequest: ((cpuTicks(s.child) - before) * 10_000) / w.total,
    insideP99: inside?.p99 ?? Number.NaN,
    insideMax: inside?.max ?? Number.NaN,
    appendWaitP99: inside?.appendWaitP99 ?? Number.NaN,
    sentLateP99: w.sentLateP99,
  };
}

function start(name: 'A' | 'B', bundle: string, dir: string, port: number): Service {
  const flags = (env[`PAIR_${name}_FLAGS`] ?? '').split(' ').filter(Boolean);
  const settings = Object.fromEntries((env[`PAIR_${name}_ENV`] ?? '').split(' ').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const child = spawn(process.execPath, [...startNodeOptions(), ...(INSIDE ? SERVICE_LATENCY_PRELOAD : []), ...flags, bundle], {
    cwd: root,
    env: { ...env, ...settings, SROI_DATA_DIR: dir, PORT: String(port), SROI_DEMO: 'off', HOST: '127.0.0.1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const inside = new ServiceLatencyProbe(child);
  eachLine(child, (line) => inside.line(line));
  return { name, port, child, inside };
}

/** Copies a bundle and the .js files beside it (its threads' bundles) into `folder`; the copy's path. */
function copyBundle(bundle: string, folder: string): string {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const file of readdirSync(dirname(bundle))) if (file.endsWith('.js')) copyFileSync(join(dirname(bundle), file), join(folder, file));
  return join(folder, basename(bundle));
}

const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main(): Promise<void> {
  const givenA = env['PAIR_A'];
  if (!givenA) throw new Error('PAIR_A must name a built service bundle (dist/apps/api/main.js of the build to compare against)');
  if (!MODES.includes(MODE)) throw new Error(`PAIR_MODE must be one of ${MODES.join(', ')}, not ${MODE}`);
  const givenB = env['PAIR_B'];
  if (!givenB && spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed');
  // In folders beside the build's own bundle, so that both resolve the checkout's node_modules alike.
  const dist = join(root, 'dist/apps/api');
  const bundles = { A: copyBundle(resolve(givenA), join(dist, 'pair-a')), B: copyBundle(givenB ? resolve(givenB) : join(dist, 'main.js'), join(dist, 'pair-b')) };
  const dir = mkdtempSync(join(env['BENCH_DIR'] ?? os.tmpdir(), 'sroi-bench-pair-'));
  const services: Service[] = [];
  try {
    for (const name of ['A', 'B'] as const) {
      if (env[`PAIR_${name}_FLAGS`]) log(`${name} runs with ${env[`PAIR_${name}_FLAGS`]}`);
      if (env[`PAIR_${name}_ENV`]) log(`${name} runs with the settings ${env[`PAIR_${name}_ENV`]}`);
    }
    log(`sroi-ledger ${MODE.startsWith('hires') ? 'hires' : 'status read'}, two builds side by side: ${CONTRACTS} contracts, ${EVENTS} events, ${MODE}${MODE === 'hires-even' ? ` at ${RATE}/s` : ''}, ${ROUNDS} windows of ${WINDOW} s on each, ${CONNECTIONS} connections, ${os.cpus().length} cores, Node ${process.version}`);
    const seed = join(dir, 'seed');
    mkdirSync(seed);
    writeBenchTokens(seed);
    await preloadContracts(seed, CONTRACTS, EVENTS, log);
    for (const [i, name] of (['A', 'B'] as const).entries()) {
      cpSync(seed, join(dir, name), { recursive: true });
      services.push(start(name, bundles[name], join(dir, name), PORT + i));
    }
    for (const s of services) await waitReady(s.port, s.child, 900_000);
    const settled = await Promise.all(services.map((s) => waitSettled(s.child, 600_000)));
    log(`both ready and settled (${settled.map((t) => `${t.toFixed(0)} s`).join(', ')})`);
    // A warm-up on each with the windows' load (the code compiled, every contract's answer cached), not counted.
    for (const s of services) await load(s, WARM_UP_SECONDS);

    const windows: Record<'A' | 'B', Window[]> = { A: [], B: [] };
    log(
      `\n| window | build | requests/s | p99 ms |${EVEN ? ' sent after due p99 ms |' : ''}${INSIDE ? ' inside the service p99 (max) ms | appends\' commit wait p99 ms |' : ''} service CPU µs a request | settled in |` +
        `\n|--:|:--|--:|--:|${EVEN ? '--:|' : ''}${INSIDE ? '--:|--:|' : ''}--:|--:|`,
    );
    for (let round = 0; round < ROUNDS; round++) {
      // A B, B A, A B...: neither build always goes first.
      for (const s of round % 2 === 0 ? services : [...services].reverse()) {
        if (MODE === 'status-after-hires') {
          const spell = await hires(s.port, SPELL, true);
          if (failedOf(spell) > 0) throw new Error(`build ${s.name}: ${failedOf(spell)} hires failed`);
          conflicts += conflictsOf(spell);
        }
        const settledIn = await waitSettled(s.child, 120_000);
        const w = await measure(s);
        windows[s.name].push(w);
        log(
          `| ${round + 1} | ${s.name} | ${Math.round(w.rps)} | ${w.p99} |${EVEN ? ` ${w.sentLateP99} |` : ''}${INSIDE ? ` ${w.insideP99} (${w.insideMax}) | ${w.appendWaitP99} |` : ''} ${w.cpuUsPerRequest.toFixed(0)} | ${settledIn.toFixed(1)} s |`,
        );
      }
    }
    const rate = (n: 'A' | 'B') => mean(windows[n].map((w) => w.rps));
    const cpu = (n: 'A' | 'B') => mean(windows[n].map((w) => w.cpuUsPerRequest));
    const p99 = (n: 'A' | 'B') => mean(windows[n].map((w) => w.p99));
    log(`\nA: ${Math.round(rate('A'))} requests/s, ${cpu('A').toFixed(1)} µs of CPU a request, p99 ${p99('A').toFixed(1)} ms (means of ${ROUNDS} windows)`);
    log(`B: ${Math.round(rate('B'))} requests/s, ${cpu('B').toFixed(1)} µs of CPU a request, p99 ${p99('B').toFixed(1)} ms`);
    log(`B against A: ${(rate('B') / rate('A')).toFixed(3)}× the requests a second, ${(cpu('B') / cpu('A')).toFixed(3)}× the CPU a request, ${(p99('B') / p99('A')).toFixed(3)}× the p99`);
    const medianP99 = (n: 'A' | 'B') => median(windows[n].map((w) => w.p99));
    log(`p99, medians of the windows: A ${medianP99('A').toFixed(1)} ms, B ${medianP99('B').toFixed(1)} ms, B against A ${(medianP99('B') / medianP99('A')).toFixed(3)}×`);
    if (INSIDE) {
      const inside = (n: 'A' | 'B') => mean(windows[n].map((w) => w.insideP99));
      const insideMedian = (n: 'A' | 'B') => median(windows[n].map((w) => w.insideP99));
      log(`p99 inside the service: A ${inside('A').toFixed(1)} ms, B ${inside('B').toFixed(1)} ms (means), B against A ${(inside('B') / inside('A')).toFixed(3)}×; medians ${insideMedian('A').toFixed(1)} and ${insideMedian('B').toFixed(1)} ms, ${(insideMedian('B') / insideMedian('A')).toFixed(3)}×`);
      log(
        `(the inside p99 counts at most the ${CONNECTIONS} requests a stall holds inside the service, while the rest wait in the client for a connection: read it beside the client's p99, and the longest request inside beside both)`,
      );
    }
    if (conflicts > 0) log(`(${conflicts} hires answered 409 in all: a concurrent hire on the same contract met again on its retry)`);
  } finally {
    for (const s of services) {
      s.child.kill('SIGTERM');
      if (s.child.exitCode === null) await new Promise((r) => s.child.once('exit', r));
    }
    rmSync(bundles.A, { force: true });
    rmSync(bundles.B, { force: true });
    if (env['BENCH_KEEP'] === '1') log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
