/**
 * The integration publisher's worker thread (dist/apps/api/publisher.js, built by `npm run
 * build`; see PublisherThread). Started by the service, never on its own.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PUBLISHER_JOB, runPublisherThread, type PublisherThreadJob } from './publisher-thread';

const job = (workerData as Record<string, PublisherThreadJob> | null)?.[PUBLISHER_JOB];
if (isMainThread || !parentPort || !job) {
  process.stderr.write('publisher.js is the integration publisher thread of the sroi-ledger service; start the service instead (npm start)\n');
  process.exitCode = 2;
} else {
  runPublisherThread(job, parentPort).catch((error: unknown) => {
    // Thrown outside the promise: the thread ends with an 'error' the service reports.
    setImmediate(() => {
      throw error;
    });
  });
}
