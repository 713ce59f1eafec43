import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../src/app.factory';
import { sha256Hex } from '../src/auth/tokens';
import { ApiConfig } from '../src/config/api-config';

export const TOKENS = {
  advisor: 'token-advisor-utrecht',
  advisorElsewhere: 'token-advisor-amsterdam',
  contractorA: 'token-contractor-a',
  contractorB: 'token-contractor-b',
  auditor: 'token-auditor-utrecht',
  admin: 'token-admin',
  integrator: 'token-integrator-utrecht',
  integratorElsewhere: 'token-integrator-amsterdam',
} as const;

export const KVK_A = '12345678';
export const KVK_B = '87654321';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sroi-api-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function writeTokens(dir: string): string {
  const file = join(dir, 'tokens.json');
  writeFileSync(
    file,
    JSON.stringify([
      { tokenSha256: sha256Hex(TOKENS.advisor), subject: 'anna.advisor', role: 'advisor', municipality: 'Utrecht' },
      { tokenSha256: sha256Hex(TOKENS.advisorElsewhere), subject: 'bob.advisor', role: 'advisor', municipality: 'Amsterdam' },
      { tokenSha256: sha256Hex(TOKENS.contractorA), subject: 'carla.contractor', role: 'contractor', contractorKvk: KVK_A },
      { tokenSha256: sha256Hex(TOKENS.contractorB), subject: 'dirk.contractor', role: 'contractor', contractorKvk: KVK_B },
      { tokenSha256: sha256Hex(TOKENS.auditor), subject: 'eva.auditor', role: 'auditor', municipality: 'Utrecht' },
      { tokenSha256: sha256Hex(TOKENS.admin), subject: 'frank.admin', role: 'admin' },
      { tokenSha256: sha256Hex(TOKENS.integrator), subject: 'gert.integrator', role: 'integrator', municipality: 'Utrecht' },
      { tokenSha256: sha256Hex(TOKENS.integratorElsewhere), subject: 'hans.integrator', role: 'integrator', municipality: 'Amsterdam' },
    ]),
  );
  return file;
}

/** The service's settings on `dir`; the integration publisher runs on the event loop unless `publisherThread`. */
export function testConfig(dir: string, demo = false, publisherThread = false): ApiConfig {
  return new ApiConfig(dir, 0, { engine: 'sqlite', path: join(dir, 'events.sqlite'), synchronous: 'OFF' }, join(dir, 'tokens.json'), demo, publisherThread);
}

export async function startApp(dir: string, demo = false): Promise<NestFastifyApplication> {
  const app = await createApp(testConfig(dir, demo), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

export type Api = ReturnType<typeof api>;

/** supertest helpers bound to one app. */
export function api(app: NestFastifyApplication) {
  const server = app.getHttpServer();
  return {
    get: (path: string, token: string = TOKENS.advisor) => request(server).get(path).set(auth(token)),
    post: (path: string, body: unknown, token: string = TOKENS.advisor, headers: Record<string, string> = {}) =>
      request(server)
        .post(path)
        .set({ ...auth(token), ...headers })
        .send(body as object),
    raw: () => request(server),
  };
}

export const contractBody = (overrides: Record<string, unknown> = {}) => ({
  municipality: 'Utrecht',
  title: 'Onderhoud openbare verlichting',
  tenderReference: 'UTR-2022-0981',
  contractor: { kvk: KVK_A, name: 'Lichtwerk Utrecht B.V.' },
  contractValueCents: 100_000_000,
  sroiPercentage: 5,
  startDate: '2023-01-01',
  endDate: '2024-12-31',
  catalogue: { id: 'utrecht', version: '2019' },
  ...overrides,
});
