import { openEventStore, type EventStoreConfig } from '@sroi/event-store';
import { join } from 'node:path';
import { Worker, type MessagePort } from 'node:worker_threads';
import { compactHeap } from '../../platform/startup-compaction';
import { workerScript } from '../../platform/worker-script';
import { integrationMapper, integrationStateFold } from '../integration-mapper';
import { IntegrationPublisher, type IntegrationPublisherOptions, type PublicEventMapper, type PublisherLogger, type PublisherState } from './integration-publisher';
import { PublisherCheckpoint } from './publisher-checkpoint';
import { PublisherHandle, reportOf, type PublisherReport } from './publisher-handle';

/** What the thread is started with: its own connection to the store, and the checkpoint's file. */
export interface PublisherThreadJob {
  eventStore: EventStoreConfig;
  checkpointFile: string;
  options?: Pick<IntegrationPublisherOptions, 'batchSize' | 'catchUpBatchSize' | 'batchWindowMs' | 'appendChunk' | 'cacheSize'>;
}

type ToThread = { stop: true };
type FromThread = { report: PublisherReport } | { log: { level: keyof PublisherLogger; message: string } };

/** The key of the job in the thread's workerData. */
export const PUBLISHER_JOB = 'sroiIntegrationPublisher';

/** How often the thread compares its report with the last one sent (ms). */
const REPORT_MS = 20;

/** How long a stop waits for the thread to end on its own before it is terminated (ms). */
const STOP_TIMEOUT_MS = 30_000;

/**
 * The integration publisher in a worker thread of its own (SROI_PUBLISHER_THREAD=on), so that
 * mapping the contract events, its reads of the log and its garbage leave the event loop that
 * answers the requests. The thread opens its own connection to the store and folds the contracts'
 * states itself: they cannot be shared with the write side's cache across threads (RSS when
 * settled on the benchmark's store of 10,000 contracts and 1M events: 1.89 GB against 1.21 GB).
 * Commits wake the subscriptions of both threads at once (the SQLite store signals them across
 * threads; EventStoreDB pushes). This side mirrors the thread's report, sent whenever it changes,
 * and forwards its log lines.
 *
 * Off by default: on the 2-core machine of the benchmarks, where the thread competes with the load
 * generator for the second core, it gave the status reads under writes 1.075x (ahead in 4 windows
 * of 6) but the hires at 2,000/s no better p99 at 1.135x the CPU a hire (bench:api-pair, one
 * bundle, SROI_PUBLISHER_THREAD off against on; apps/api/benchmark-log.md, sixteenth session;
 * drive runs of the twenty-first session again level, the machine waiting twice as long for a core;
 * in the twenty-second's, after the public events' ids became time-ordered, worse: p99 58-74 ms
 * and a window of 1.5 s against 34-40 ms, at ~1.15x the CPU a hire).
 */
export class PublisherThread extends PublisherHandle {
  private report: PublisherReport = { state: 'stopped', caughtUp: false, warm: false, lastPublishedPosition: null, publishedEvents: 0, lastError: null };
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly job: PublisherThreadJob,
    private readonly logger: PublisherLogger,
  ) {
    super();
  }

  get state(): PublisherState {
    return this.report.state;
  }

  get lastError(): PublisherReport['lastError'] {
    return this.report.lastError;
  }

  get publishedEvents(): number {
    return this.report.publishedEvents;
  }

  lastPublishedPosition(): bigint | null {
    return this.report.lastPublishedPosition === null ? null : BigInt(this.report.lastPublishedPosition);
  }

  isCaughtUp(): boolean {
    return this.report.caughtUp;
  }

  isWarm(): boolean {
    return this.report.warm;
  }

  start(): void {
    if (this.worker) throw new Error('PublisherThread already started');
    this.stopping = false;
    this.report = { ...this.report, state: 'catching-up', caughtUp: false, warm: false };
    const { script, options } = workerScript(__filename, join(__dirname, 'publisher-thread.main.ts'), 'publisher.js');
    const worker = new Worker(script, { workerData: { [PUBLISHER_JOB]: this.job }, ...options });
    this.worker = worker;
    this.exited = new Promise((resolve) => worker.once('exit', (code) => resolve(this.onExit(code))));
    worker.on('message', (m: FromThread) => {
      if ('report' in m) this.report = m.report;
      else if ('log' in m) this.logger[m.log.level](m.log.message);
    });
    worker.on('error', (error) => this.failed(`the publisher's thread failed: ${error.message}`));
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    worker.postMessage({ stop: true } satisfies ToThread);
    // Terminating a thread inside a better-sqlite3 call can abort the process: only when it hangs.
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
    this.worker = undefined;
  }

  private onExit(code: number): void {
    if (this.report.state !== 'failed') {
      if (this.stopping) this.report = { ...this.report, state: 'stopped' };
      else this.failed(`the publisher's thread ended (exit code ${code}) without being stopped`);
    }
  }

  private failed(message: string): void {
    if (this.report.state === 'failed') return;
    this.report = { ...this.report, state: 'failed', lastError: { message, at: new Date().toISOString() } };
    this.logger.error(`Integration publisher stopped: ${message}`);
  }
}

/** The thread's side: runs the publisher until asked to stop, reporting to `port`. */
export async function runPublisherThread(job: PublisherThreadJob, port: MessagePort): Promise<void> {
  const post = (message: FromThread): void => port.postMessage(message);
  const logger: PublisherLogger = {
    log: (message) => post({ log: { level: 'log', message } }),
    warn: (message) => post({ log: { level: 'warn', message } }),
    error: (message) => post({ log: { level: 'error', message } }),
  };
  const store = await openEventStore(job.eventStore);
  const checkpoint = new PublisherCheckpoint(job.checkpointFile);
  const publisher = new IntegrationPublisher(store, checkpoint, integrationMapper as PublicEventMapper<unknown>, { ...job.options, logger, stateFold: integrationStateFold() });
  // The thread's own heap after its warm-up, as HeapCompaction does the service's (with --expose-gc).
  const collect = (globalThis as { gc?: unknown }).gc;
  let compacted = typeof collect !== 'function';
  let sent = '';
  const report = (): void => {
    if (!compacted && publisher.isCaughtUp() && publisher.isWarm()) {
      compacted = true;
      logger.log(`Integration publisher thread: start-up work done: ${compactHeap(collect as () => void)}`);
    }
    const now = reportOf(publisher);
    const key = JSON.stringify(now);
    if (key !== sent) {
      sent = key;
      post({ report: now });
    }
  };
  const timer = setInterval(report, REPORT_MS);
  port.once('message', (m: ToThread) => {
    if (!m.stop) return;
    clearInterval(timer);
    void (async () => {
      try {
        await publisher.stop();
        report();
      } finally {
        checkpoint.close();
        await store.close();
        port.close();
      }
    })();
  });
  publisher.start();
  report();
}
