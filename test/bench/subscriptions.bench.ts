/**
 * What the subscriptions at the head of the log cost the event loop of the SQLite store that
 * commits the events: the store as shipped, which hands them the events it has just committed
 * from its commit tail, against its peer in the same process, the same store reading every page
 * back from the file (`commitTail: false`, what it did before). Three subscriptions read the whole
 * log, as the service's projections, integration publisher and write-side watcher do, while 32
 * writers append one event at a time (a hire's size and shape) to 1,000 streams. Alternating
 * rounds, each on a new file. Not part of the tests.
 *
 *   npm run bench:subscriptions
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteEventStore } from '@sroi/event-store';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 8);
const APPENDS = Number(process.env['BENCH_APPENDS'] ?? 20_000);
const WRITERS = 32;
const SUBSCRIPTIONS = 3;
const data = { placementId: '0193a1b2-1111-7000-8000-000000000001', candidateRef: 'CAND-0001', blockCode: 'PW', bonusCodes: [], startDate: '2023-01-01', endDate: null, hoursPerWeek: 24, permanent: false };
const metadata = { schemaVersion: 1, actor: { subject: 'bench', role: 'advisor' }, correlationId: '0193a1b2-1111-7000-8000-000000000003', causationId: '0193a1b2-1111-7000-8000-000000000002', idempotencyKey: null, command: 'RecordHire' };

interface Measurement {
  /** the event loop's busy time an append, µs */
  loop: number;
  /** the process's CPU an append (every thread), µs */
  cpu: number;
}

async function round(commitTail: boolean, dir: string): Promise<Measurement> {
  const store = new SqliteEventStore({ path: join(mkdtempSync(join(dir, 'round-')), 'events.sqlite'), commitTail });
  const subscriptions = Array.from({ length: SUBSCRIPTIONS }, () => store.subscribeToAll());
  let delivered = 0;
  // One subscription parses what it gets, as the projections do; the others look at the type.
  const consumers = subscriptions.map(async (subscription, k) => {
    for await (const event of subscription) {
      delivered++;
      if (k === 0 && event.data === undefined) throw new Error('no data');
    }
  });
  await new Promise((r) => setTimeout(r, 50));
  const loopBefore = performance.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < APPENDS) {
        const i = next++;
        await store.appendToStream(`contract-${i % 1_000}`, [{ type: 'PlacementStarted', data, metadata }]);
      }
    }),
  );
  while (delivered < SUBSCRIPTIONS * APPENDS) await new Promise((r) => setImmediate(r));
  const loop = performance.eventLoopUtilization(loopBefore);
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(subscriptions.map((s) => s.stop()));
  await Promise.all(consumers);
  await store.close();
  return { loop: (loop.active * 1_000) / APPENDS, cpu: (cpu.user + cpu.system) / APPENDS };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sroi-bench-subscriptions-'));
  const results: Record<'ours' | 'peer', Measurement[]> = { ours: [], peer: [] };
  try {
    await round(true, dir); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const side of r % 2 === 0 ? (['ours', 'peer'] as const) : (['peer', 'ours'] as const)) results[side].push(await round(side === 'ours', dir));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  process.stdout.write(`${SUBSCRIPTIONS} subscriptions at the head while ${WRITERS} writers append ${APPENDS} events, ${ROUNDS} alternating rounds (medians; each round's in brackets)\n`);
  for (const side of ['ours', 'peer'] as const) {
    const label = side === 'ours' ? 'the store (commit tail)' : 'peer: pages read from the file';
    const loop = results[side].map((m) => m.loop);
    const cpu = results[side].map((m) => m.cpu);
    process.stdout.write(`  ${label.padEnd(32)} event loop ${median(loop).toFixed(1).padStart(5)} µs an append [${loop.map((x) => x.toFixed(1)).join(', ')}]; CPU ${median(cpu).toFixed(1)} µs\n`);
  }
  const ratio = (pick: (m: Measurement) => number) => (median(results.ours.map(pick)) / median(results.peer.map(pick))).toFixed(2);
  process.stdout.write(`  the store against its peer: ${ratio((m) => m.loop)}x the event loop's time an append, ${ratio((m) => m.cpu)}x the CPU\n`);
}

void main();
