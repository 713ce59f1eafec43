import { eventStoreConfigFromEnv, type EventStoreConfig } from '@sroi/event-store';
import { join, resolve } from 'node:path';
import { parseFlag } from './env-values';
import { OperatorError, reasonOf } from './operator-error';

/** Everything the service reads from its environment, read once at start-up. */
export class ApiConfig {
  constructor(
    /** Folder of the SQLite files: the embedded event store, read models, idempotency keys, tokens. */
    readonly dataDir: string,
    readonly port: number,
    readonly eventStore: EventStoreConfig,
    /** JSON file of `{ tokenSha256, subject, role, municipality?, contractorKvk? }`; created with demo tokens when absent. */
    readonly tokensFile: string,
    /** Whether the demo data set is loaded into an empty store. */
    readonly demo: boolean,
    /**
     * Whether the integration publisher runs in a worker thread of its own (SROI_PUBLISHER_THREAD,
     * off unless set on) rather than on the event loop that answers the requests.
     */
    readonly publisherThread = false,
  ) {}

  /** Every problem with the settings is an OperatorError naming the variable. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): ApiConfig {
    try {
      return ApiConfig.read(env);
    } catch (error) {
      throw error instanceof OperatorError ? error : new OperatorError(reasonOf(error), { cause: error });
    }
  }

  private static read(env: NodeJS.ProcessEnv): ApiConfig {
    const dataDir = resolve(env['SROI_DATA_DIR']?.trim() || './data');
    const portText = env['PORT']?.trim() || '3000';
    const port = Number(portText);
    // Digits only: Number() also reads 0x10, 1e3 and ' 80 '.
    if (!/^\d{1,5}$/.test(portText) || port > 65535) throw new Error(`PORT must be a port number (0 to 65535), not '${portText}'`);
    // Demo contracts are events for good: a value the service does not know is refused, not taken as on.
    const demo = parseFlag('SROI_DEMO', env['SROI_DEMO'], true);
    const publisherThread = parseFlag('SROI_PUBLISHER_THREAD', env['SROI_PUBLISHER_THREAD'], false);
    return new ApiConfig(
      dataDir,
      port,
      eventStoreConfigFromEnv({ ...env, SROI_DATA_DIR: dataDir }),
      resolve(env['SROI_TOKENS_FILE']?.trim() || join(dataDir, 'tokens.json')),
      demo,
      publisherThread,
    );
  }

  /** A SQLite file of the service's own (read models, idempotency keys) beside the event store. */
  file(name: string): string {
    return join(this.dataDir, name);
  }
}
