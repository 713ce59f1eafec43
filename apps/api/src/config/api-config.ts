import { eventStoreConfigFromEnv, type EventStoreConfig } from '@sroi/event-store';
import { join, resolve } from 'node:path';

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
  ) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ApiConfig {
    const dataDir = resolve(env['SROI_DATA_DIR']?.trim() || './data');
    const portText = env['PORT']?.trim() || '3000';
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not '${portText}'`);
    const demo = (env['SROI_DEMO']?.trim().toLowerCase() || 'on') !== 'off';
    return new ApiConfig(
      dataDir,
      port,
      eventStoreConfigFromEnv({ ...env, SROI_DATA_DIR: dataDir }),
      resolve(env['SROI_TOKENS_FILE']?.trim() || join(dataDir, 'tokens.json')),
      demo,
    );
  }

  /** A SQLite file of the service's own (read models, idempotency keys) beside the event store. */
  file(name: string): string {
    return join(this.dataDir, name);
  }
}
