import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createApp } from './app.factory';
import { readTokensFile } from './auth/tokens';
import { ApiConfig } from './config/api-config';
import { OperatorError } from './config/operator-error';
import { lockDataDir } from './platform/data-dir-lock';

const logger = new Logger('sroi-ledger');

/** Fails early, before any start-up work, when the port is taken (the real listen comes after it). */
function assertPortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? portProblem(port, host, error) : error),
    );
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

const portProblem = (port: number, host: string, error: NodeJS.ErrnoException): OperatorError =>
  new OperatorError(`PORT ${port} on ${host} ${error.code === 'EACCES' ? 'may not be used by this user' : 'is in use by another program'}; stop it or set another PORT`, { cause: error });

async function main(): Promise<void> {
  const config = ApiConfig.fromEnv();
  const host = process.env['HOST']?.trim() || '0.0.0.0';
  // Held until the process ends (the OS releases it however it ends).
  const lock = lockDataDir(config.dataDir);
  process.once('exit', () => lock.release());
  if (config.port !== 0) await assertPortFree(config.port, host);
  // A first start that fails takes its new tokens file with it: its tokens were printed for a
  // service that never ran, and the next start prints new ones.
  const newTokensFile = !existsSync(config.tokensFile);
  // Checked here too, so that a mistake in it is told in one line rather than by Nest's injector.
  if (!newTokensFile) readTokensFile(config.tokensFile);
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApp(config);
    await app.listen({ port: config.port, host });
  } catch (error) {
    await app?.close().catch(() => undefined);
    if (newTokensFile) rmSync(config.tokensFile, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw code === 'EADDRINUSE' || code === 'EACCES' ? portProblem(config.port, host, error as NodeJS.ErrnoException) : error;
  }
  const running = app;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: stopping (in-flight requests finish, the projections and subscriptions stop at a checkpoint)`);
      running.close().then(
        () => {
          logger.log('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          process.stderr.write(`sroi-ledger api: stopping failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
          process.exit(1);
        },
      );
    });
  }
  const where = config.eventStore.engine === 'sqlite' ? config.eventStore.path : 'EventStoreDB';
  logger.log(`listening on port ${config.port} (store: ${where}); OpenAPI at /api/docs`);
}

main().catch((error: unknown) => {
  // What the operator must change is said in the message; a stack would only hide it.
  const text = error instanceof OperatorError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`sroi-ledger api: ${text}\n`);
  process.exit(1);
});
