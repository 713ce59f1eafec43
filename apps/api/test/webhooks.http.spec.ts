import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import request from 'supertest';
import { AuthModule } from '../src/auth/auth.module';
import { ConfigModule } from '../src/config/config.module';
import { IdempotencyModule } from '../src/idempotency/idempotency.module';
import { IntegrationLog } from '../src/integration/integration-log';
import { InMemoryIntegrationLog } from '../src/integration/testing/in-memory-integration-log';
import { envelope, eventually, WebhookReceiver } from '../src/integration/webhooks/testing/webhook-receiver';
import type { HostResolver } from '../src/integration/webhooks/url-policy';
import { WebhookOptions } from '../src/integration/webhooks/webhook-options';
import { WebhooksModule } from '../src/integration/webhooks/webhooks.module';
import { PlatformModule } from '../src/platform/platform.module';
import { createValidationPipe } from '../src/platform/validation';
import { removeDir, tempDir, testConfig, TOKENS, writeTokens } from './harness';

// Generous: the waits below end as soon as their condition holds; this only bounds a broken run on a loaded machine.
jest.setTimeout(60_000);

const BASE = '/v1/integration/webhooks';
const resolve: HostResolver = async (host) => {
  const table: Record<string, string> = { 'hooks.example.org': '93.184.216.34', 'intranet.example.org': '10.1.1.1' };
  if (!table[host]) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return [{ address: table[host], family: 4 }];
};

/** The app as app.factory.ts assembles it, with only the modules the webhooks need. */
async function buildApp(dir: string, log: InMemoryIntegrationLog): Promise<NestFastifyApplication> {
  @Module({ providers: [{ provide: IntegrationLog, useValue: log }], exports: [IntegrationLog] })
  class TestIntegrationModule {}
  const options = WebhookOptions.fromEnv({ SROI_WEBHOOKS_ALLOW_LOOPBACK: 'on' }, { resolve, requestTimeoutMs: 10_000, retry: { initialDelayMs: 10, maxDelayMs: 20 } });
  @Module({ imports: [ConfigModule.forRoot(testConfig(dir)), PlatformModule, AuthModule, IdempotencyModule, WebhooksModule.forRoot(options, { imports: [TestIntegrationModule] })] })
  class TestAppModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestAppModule, new FastifyAdapter(), { logger: false, abortOnError: false });
  app.useGlobalPipes(createValidationPipe());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('webhooks over HTTP', () => {
  let dir: string;
  let app: NestFastifyApplication;
  let log: InMemoryIntegrationLog;
  let receiver: WebhookReceiver;

  const as = (token: string) => {
    const server = app.getHttpServer();
    const auth = { Authorization: `Bearer ${token}` };
    return {
      get: (path: string) => request(server).get(path).set(auth),
      post: (path: string, body?: object) => (body === undefined ? request(server).post(path).set(auth) : request(server).post(path).set(auth).send(body)),
      delete: (path: string) => request(server).delete(path).set(auth),
    };
  };
  const utrecht = () => as(TOKENS.integrator);
  const amsterdam = () => as(TOKENS.integratorElsewhere);

  beforeEach(async () => {
    dir = tempDir();
    writeTokens(dir);
    log = new InMemoryIntegrationLog();
    receiver = await new WebhookReceiver().start();
    app = await buildApp(dir, log);
  });

  afterEach(async () => {
    await app.close();
    await receiver.close();
    removeDir(dir);
  });

  it('registers (201, secret shown once), lists and gets without the secret; integrator role only', async () => {
    const created = await utrecht().post(BASE, { url: 'https://hooks.example.org/sroi', eventTypes: ['contract.registered'], description: 'ERP' }).expect(201);
    const { webhookId, secret } = created.body as { webhookId: string; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(created.body).toMatchObject({
      webhookId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      url: 'https://hooks.example.org/sroi',
      eventTypes: ['contract.registered'],
      description: 'ERP',
      status: 'active',
      municipality: 'Utrecht',
      delivery: { cursor: null, deliveredCount: 0, failedAttempts: 0, nextAttemptAt: null, failingSince: null },
    });

    const list = await utrecht().get(BASE).expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ webhookId, url: 'https://hooks.example.org/sroi' });
    const one = await utrecht().get(`${BASE}/${webhookId}`).expect(200);
    for (const body of [list.text, one.text]) {
      expect(body).not.toContain(secret);
      expect(body).not.toContain(secret.slice(6, 30));
      expect(body).not.toContain('"secret"');
    }

    await request(app.getHttpServer()).get(BASE).expect(401);
    const unknown = await as('no-such-token').get(BASE).expect(401);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    for (const token of [TOKENS.advisor, TOKENS.auditor, TOKENS.admin, TOKENS.contractorA]) {
      const refused = await as(token).post(BASE, { url: 'https://hooks.example.org/x', eventTypes: ['contract.registered'] }).expect(403);
      expect(refused.body).toMatchObject({ status: 403, code: 'forbidden' });
      await as(token).get(BASE).expect(403);
      await as(token).get(`${BASE}/${webhookId}`).expect(403);
    }
  });

  it('answers validation and URL-policy errors as problem+json', async () => {
    const cases: Array<[object, number, string]> = [
      [{ url: 'https://hooks.example.org/x', eventTypes: ['contract.exploded'] }, 400, 'validation-failed'],
      [{ url: 'https://hooks.example.org/x', eventTypes: [] }, 400, 'validation-failed'],
      [{ url: 'https://hooks.example.org/x', eventTypes: ['contract.registered', 'contract.registered'] }, 400, 'validation-failed'],
      [{ url: 'https://hooks.example.org/x' }, 400, 'validation-failed'],
      [{ eventTypes: ['contract.registered'] }, 400, 'validation-failed'],
      [{ url: 'https://hooks.example.org/x', eventTypes: ['contract.registered'], secret: 'whsec_mine' }, 400, 'validation-failed'],
      [{ url: 'https://hooks.example.org/x', eventTypes: ['contract.registered'], startAfter: 'yesterday' }, 400, 'validation-failed'],
      [{ url: 'ftp://hooks.example.org/x', eventTypes: ['contract.registered'] }, 400, 'webhook-url-invalid'],
      [{ url: 'https://me:pw@hooks.example.org/x', eventTypes: ['contract.registered'] }, 400, 'webhook-url-credentials'],
      [{ url: 'http://hooks.example.org/x', eventTypes: ['contract.registered'] }, 422, 'webhook-url-not-https'],
      [{ url: 'https://10.0.0.1/x', eventTypes: ['contract.registered'] }, 422, 'webhook-url-forbidden-address'],
      [{ url: 'https://[::ffff:169.254.169.254]/x', eventTypes: ['contract.registered'] }, 422, 'webhook-url-forbidden-address'],
      [{ url: 'https://intranet.example.org/x', eventTypes: ['contract.registered'] }, 422, 'webhook-url-forbidden-address'],
      [{ url: 'https://nowhere.example.org/x', eventTypes: ['contract.registered'] }, 422, 'webhook-url-unresolvable'],
      [{ url: 'https://hooks.example.org/x', eventTypes: ['contract.registered'], startAfter: '5' }, 422, 'webhook-start-beyond-log'],
    ];
    for (const [body, status, code] of cases) {
      const res = await utrecht().post(BASE, body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status, code });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: `/problems/${code}`, status, detail: expect.any(String) });
    }
    const intranet = await utrecht().post(BASE, { url: 'https://intranet.example.org/x', eventTypes: ['contract.registered'] });
    expect(intranet.body).toMatchObject({ address: '10.1.1.1', range: '10.0.0.0/8 (private)' });
    await utrecht().get(`${BASE}/whatever/deliveries?limit=0`).expect(400);
    expect((await utrecht().get(BASE).expect(200)).body.items).toEqual([]);
  });

  it('delivers only the municipality’s events, signed; pause, resume, delete and the delivery log; the other municipality sees nothing (404)', async () => {
    const register = async (client: ReturnType<typeof as>, path: string, eventTypes: string[]) => {
      const res = await client.post(BASE, { url: receiver.url(path), eventTypes }).expect(201);
      receiver.secret(path, res.body.secret as string);
      return res.body.webhookId as string;
    };
    log.append([envelope('Utrecht', 'contract.registered')]); // before registration: not sent
    const u = await register(utrecht(), '/utrecht', ['contract.registered', 'contribution.recorded']);
    const a = await register(amsterdam(), '/amsterdam', ['contract.registered', 'contribution.recorded']);

    const events = log.append([
      envelope('Utrecht', 'contract.registered'),
      envelope('Amsterdam', 'contract.registered'),
      envelope('Utrecht', 'contribution.verified'),
      envelope('Utrecht', 'contribution.recorded'),
      envelope('Amsterdam', 'contribution.recorded'),
    ]);
    await eventually(() => receiver.delivered('/utrecht').length === 2 && receiver.delivered('/amsterdam').length === 2);
    expect(receiver.delivered('/utrecht').map((e) => e.id)).toEqual([events[0].eventId, events[3].eventId]);
    expect(receiver.delivered('/amsterdam').map((e) => e.id)).toEqual([events[1].eventId, events[4].eventId]);
    expect(receiver.verifyErrors).toEqual([]);
    // The receiver has the last 2xx a moment before the dispatcher has recorded it.
    await eventually(async () => (await utrecht().get(`${BASE}/${u}`)).body.delivery.deliveredCount === 2, undefined, 'recorded deliveries');

    // Scoping: lists, and every route of the other municipality's endpoint, are 404.
    expect((await utrecht().get(BASE)).body.items.map((i: { webhookId: string }) => i.webhookId)).toEqual([u]);
    expect((await amsterdam().get(BASE)).body.items.map((i: { webhookId: string }) => i.webhookId)).toEqual([a]);
    for (const res of [
      await amsterdam().get(`${BASE}/${u}`),
      await amsterdam().get(`${BASE}/${u}/deliveries`),
      await amsterdam().post(`${BASE}/${u}/pause`),
      await amsterdam().post(`${BASE}/${u}/resume`),
      await amsterdam().delete(`${BASE}/${u}`),
      await utrecht().get(`${BASE}/no-such-id`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'not-found' });
    }
    expect((await utrecht().get(`${BASE}/${u}`)).body.status).toBe('active');

    const deliveries = await utrecht().get(`${BASE}/${u}/deliveries`).expect(200);
    expect(deliveries.body.items).toEqual([
      expect.objectContaining({ eventId: events[3].eventId, eventType: 'contribution.recorded', position: String(events[3].position), statusCode: 200, outcome: 'delivered', attempt: 1, error: null }),
      expect.objectContaining({ eventId: events[0].eventId, eventType: 'contract.registered', position: String(events[0].position), statusCode: 200, outcome: 'delivered' }),
    ]);
    expect(deliveries.body.items[0].durationMs).toEqual(expect.any(Number));
    expect(Date.parse(deliveries.body.items[0].attemptedAt)).not.toBeNaN();
    expect((await utrecht().get(`${BASE}/${u}/deliveries?limit=1`)).body.items).toHaveLength(1);
    expect((await utrecht().get(`${BASE}/${u}`)).body.delivery).toMatchObject({ cursor: String(events[3].position), deliveredCount: 2 });

    // Pause: nothing is sent; resume: the backlog in order.
    expect((await utrecht().post(`${BASE}/${u}/pause`).expect(200)).body.status).toBe('paused');
    const later = log.append([envelope('Utrecht', 'contract.registered'), envelope('Utrecht', 'contribution.recorded')]);
    // Amsterdam getting an event appended after them shows the dispatcher has looked at the log since.
    log.append([envelope('Amsterdam', 'contract.registered')]);
    await eventually(() => receiver.delivered('/amsterdam').length === 3, undefined, 'the control delivery');
    await new Promise((r) => setTimeout(r, 50));
    expect(receiver.forPath('/utrecht')).toHaveLength(2);
    expect((await utrecht().post(`${BASE}/${u}/resume`).expect(200)).body.status).toBe('active');
    await eventually(() => receiver.delivered('/utrecht').length === 4);
    expect(receiver.delivered('/utrecht').slice(2).map((e) => e.id)).toEqual(later.map((e) => e.eventId));

    // Delete: 204, then gone; no further deliveries.
    await utrecht().delete(`${BASE}/${u}`).expect(204);
    await utrecht().get(`${BASE}/${u}`).expect(404);
    await utrecht().get(`${BASE}/${u}/deliveries`).expect(404);
    log.append([envelope('Utrecht', 'contract.registered'), envelope('Amsterdam', 'contract.registered')]);
    await eventually(() => receiver.delivered('/amsterdam').length === 4);
    expect(receiver.forPath('/utrecht')).toHaveLength(4);
  });

  it('keeps endpoints and undelivered events across an app restart (webhooks.sqlite in the data folder)', async () => {
    const res = await utrecht().post(BASE, { url: receiver.url('/r'), eventTypes: ['contribution.recorded'] }).expect(201);
    receiver.secret('/r', res.body.secret as string);
    const first = log.append([envelope('Utrecht')]);
    await eventually(() => receiver.delivered('/r').length === 1);
    await app.close();
    const whileDown = log.append([envelope('Utrecht'), envelope('Utrecht')]);
    await new Promise((r) => setTimeout(r, 50));
    expect(receiver.forPath('/r')).toHaveLength(1);

    app = await buildApp(dir, log);
    await eventually(() => receiver.delivered('/r').length === 3);
    expect(receiver.delivered('/r').map((e) => e.id)).toEqual([...first, ...whileDown].map((e) => e.eventId));
    // The receiver has the last 2xx a moment before the dispatcher has recorded it.
    await eventually(async () => (await utrecht().get(`${BASE}/${res.body.webhookId}`).expect(200)).body.delivery.deliveredCount === 3, undefined, 'recorded deliveries');
    expect(receiver.verifyErrors).toEqual([]);
  });

  it('documents the routes in OpenAPI', () => {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([BASE, `${BASE}/{webhookId}`, `${BASE}/{webhookId}/pause`, `${BASE}/{webhookId}/resume`, `${BASE}/{webhookId}/deliveries`]),
    );
    expect(JSON.stringify(document.components?.schemas?.['RegisterWebhookDto'])).toContain('contribution.verified');
  });
});
