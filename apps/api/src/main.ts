import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ApiConfig } from './config/api-config';

async function main(): Promise<void> {
  const config = ApiConfig.fromEnv();
  const app = await createApp(config);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ port: config.port, host: process.env['HOST']?.trim() || '0.0.0.0' });
  const where = config.eventStore.engine === 'sqlite' ? config.eventStore.path : 'EventStoreDB';
  new Logger('sroi-ledger').log(`listening on port ${config.port} (store: ${where}); OpenAPI at /api/docs`);
}

main().catch((error: unknown) => {
  process.stderr.write(`sroi-ledger api: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
