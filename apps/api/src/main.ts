import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ApiConfig } from './config/api-config';
import { DataDirInUseError, lockDataDir } from './platform/data-dir-lock';

async function main(): Promise<void> {
  const config = ApiConfig.fromEnv();
  // Held until the process ends (the OS releases it however it ends).
  const lock = lockDataDir(config.dataDir);
  const app = await createApp(config);
  process.once('exit', () => lock.release());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ port: config.port, host: process.env['HOST']?.trim() || '0.0.0.0' });
  const where = config.eventStore.engine === 'sqlite' ? config.eventStore.path : 'EventStoreDB';
  new Logger('sroi-ledger').log(`listening on port ${config.port} (store: ${where}); OpenAPI at /api/docs`);
}

main().catch((error: unknown) => {
  // A folder in use is the operator's to resolve: the message says how, a stack would only hide it.
  const text = error instanceof DataDirInUseError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`sroi-ledger api: ${text}\n`);
  process.exit(1);
});
