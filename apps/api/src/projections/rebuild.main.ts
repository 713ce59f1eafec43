/**
 * `npm run rebuild` (dist/apps/api/rebuild.js, built by `npm run build`): rebuilds `read-models.sqlite` in SROI_DATA_DIR (default ./data) from the
 * event store (EVENTSTORE_CONNECTION_STRING, or the SQLite store in SROI_DATA_DIR), then swaps it
 * in. Stop the service first: the swap refuses while the file is open.
 */
import { eventStoreConfigFromEnv, openEventStore } from '@sroi/event-store';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { READ_MODELS_FILE } from './read-model-database';
import { rebuildReadModels } from './rebuild';

const USAGE = `Usage: npm run rebuild   (or: node dist/apps/api/rebuild.js)
Rebuilds read-models.sqlite in SROI_DATA_DIR (default ./data) from the event store there, or from
EVENTSTORE_CONNECTION_STRING, then swaps it in. Stop the service first. No arguments; settings:
  SROI_DATA_DIR, EVENTSTORE_CONNECTION_STRING, SROI_REBUILD_PARALLEL_FROM
`;

/** A non-negative integer from the environment, or undefined when unset; a clear error otherwise. */
function countFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) throw new Error(`${name} must be a whole number of 0 or more, not '${raw}'`);
  return value;
}

/** Stopped by `signal`, it removes what it built so far and throws; the live read models stay as they were. */
export async function rebuildCommand(env: NodeJS.ProcessEnv, out: NodeJS.WritableStream, signal?: AbortSignal, args: readonly string[] = []): Promise<number> {
  // SROI_REBUILD_PARALLEL_FROM: events from which a worker thread builds the contract rows beside the integration log's copy (RebuildOptions.parallelFrom).
  const parallelFrom = countFrom(env, 'SROI_REBUILD_PARALLEL_FROM');
  if (args.length > 0) {
    out.write(USAGE);
    return args.every((a) => a === '--help' || a === '-h') ? 0 : 2;
  }
  const dataDir = resolve(env['SROI_DATA_DIR']?.trim() || './data');
  const config = eventStoreConfigFromEnv({ ...env, SROI_DATA_DIR: dataDir });
  // Opening a missing file would create an empty store, and "rebuilt 0 contracts" hide a mistyped folder.
  if (config.engine === 'sqlite' && !existsSync(config.path)) {
    throw new Error(`no event store at ${config.path}: set SROI_DATA_DIR to the service's data folder (or EVENTSTORE_CONNECTION_STRING)`);
  }
  const store = await openEventStore(config);
  try {
    const file = join(dataDir, READ_MODELS_FILE);
    out.write(`Rebuilding ${file} from the ${store.engine} event store...\n`);
    let reported = 0;
    const result = await rebuildReadModels(store, file, {
      ...(parallelFrom !== undefined ? { parallelFrom } : {}),
      ...(signal ? { signal } : {}),
      onProgress: ({ events }) => {
        if (events - reported >= 100_000) {
          reported = events;
          out.write(`  ${events} events\n`);
        }
      },
    });
    const seconds = result.elapsedMs / 1000;
    out.write(
      `Rebuilt ${result.contracts} contracts from ${result.events} events in ${seconds.toFixed(2)} s ` +
        `(${Math.round(result.events / Math.max(seconds, 0.001))} events/s, ` +
        `peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MB); checkpoint ${result.position ?? 'start'}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

// Not in the rebuild's worker thread, which loads this same (bundled) file.
if (require.main === module && isMainThread) {
  // Ctrl-C or SIGTERM: stop the build and remove the half-built file (a second one exits at once).
  const stop = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.once(name, () => {
      process.stderr.write(`rebuild: ${name}, stopping (the live read models stay as they were)\n`);
      stop.abort();
      process.once(name, () => process.exit(130));
    });
  }
  rebuildCommand(process.env, process.stdout, stop.signal, process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`rebuild: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
