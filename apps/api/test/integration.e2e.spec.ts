/**
 * The integrators' channels end to end, on the real app listening on loopback: commands through
 * the API → contract events in the store → public events published to the municipality streams →
 * the integration log → the SSE feed (read with the `eventsource` package) and signed webhooks
 * (verified with the `standardwebhooks` package by a real HTTP receiver). Every envelope that
 * leaves the service is validated against the JSON Schema the service serves.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { EventStore } from '@sroi/event-store';
import type { PublicEventEnvelope } from '@sroi/integration-events';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { EventSource } from 'eventsource';
import request from 'supertest';
import { createApp } from '../src/app.factory';
import { EVENT_STORE } from '../src/event-store/event-store.module';
import { integrationMapper } from '../src/integration/integration-mapper';
import type { SourceEvent } from '../src/integration/publisher/integration-publisher';
import { WebhookReceiver } from '../src/integration/webhooks/testing/webhook-receiver';
import { api, auth, contractBody, removeDir, tempDir, testConfig, TOKENS, writeTokens, type Api } from './harness';

interface Received {
  id: string;
  type: string;
  envelope: PublicEventEnvelope;
}

/** A feed consumer with the real `eventsource` client; the token goes through its fetch option. */
class Consumer {
  readonly received: Received[] = [];
  readonly source: EventSource;
  constructor(base: string, token: string, query = '', lastEventId?: string) {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) };
    this.source = new EventSource(`${base}/v1/integration/feed${query}`, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...headers, ...(init?.headers as Record<string, string> | undefined) } }),
    });
    const on = (e: MessageEvent) => this.received.push({ id: e.lastEventId, type: e.type, envelope: JSON.parse(String(e.data)) as PublicEventEnvelope });
    for (const type of ['contract.registered', 'contract.changed', 'contribution.recorded', 'contribution.changed', 'contribution.verified', 'contribution.rejected', 'obligation.status-changed']) {
      this.source.addEventListener(type, on);
    }
  }
  close(): void {
    this.source.close();
  }
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ENV = { SROI_WEBHOOKS_ALLOW_LOOPBACK: 'on', SROI_WEBHOOKS_RETRY_INITIAL_MS: '20', SROI_WEBHOOKS_RETRY_MAX_MS: '100', SROI_FEED_HEARTBEAT_MS: '1000' };

// The publisher on the event loop (the default) and in a worker thread of its own (SROI_PUBLISHER_THREAD=on).
describe.each([
  { where: 'in a worker thread', publisherThread: true },
  { where: 'on the event loop', publisherThread: false },
])('integrators: public events over SSE and signed webhooks, end to end (the publisher $where)', ({ publisherThread }) => {
  let dir: string;
  let app: NestFastifyApplication | undefined;
  let base: string;
  let http: Api;
  const saved: Record<string, string | undefined> = {};
  const consumers: Consumer[] = [];
  const receiver = new WebhookReceiver();
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();

  async function start(): Promise<void> {
    app = await createApp(testConfig(dir, false, publisherThread), { logger: false });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    http = api(app);
  }

  async function stop(): Promise<void> {
    for (const c of consumers.splice(0)) c.close();
    await app?.close();
    app = undefined;
  }

  const consume = (token: string, query = '', lastEventId?: string): Consumer => {
    const c = new Consumer(base, token, query, lastEventId);
    consumers.push(c);
    return c;
  };

  /** Every public event the store holds for a municipality, via the integration log's own feed order. */
  async function validate(envelope: PublicEventEnvelope): Promise<void> {
    let validator = validators.get(envelope.type);
    if (!validator) {
      const schema = await request(base).get(`/v1/integration/schemas/${envelope.type}`).expect(200);
      validator = ajv.compile(schema.body as object);
      validators.set(envelope.type, validator);
    }
    if (!validator(envelope)) throw new Error(`${envelope.type} does not match its schema: ${ajv.errorsText(validator.errors)}\n${JSON.stringify(envelope)}`);
  }

  beforeAll(async () => {
    for (const [k, v] of Object.entries(ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    await receiver.start();
  });

  afterAll(async () => {
    await receiver.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  beforeEach(async () => {
    dir = tempDir();
    writeTokens(dir);
    await start();
  });

  afterEach(async () => {
    await stop();
    removeDir(dir);
  });

  it('serves the schemas publicly', async () => {
    const res = await request(base).get('/v1/integration/schemas').expect(200);
    const types = (res.body as { schemas: Array<{ type: string }> }).schemas.map((s) => s.type).sort();
    expect(types).toEqual(['contract.changed', 'contract.registered', 'contribution.changed', 'contribution.recorded', 'contribution.rejected', 'contribution.verified', 'obligation.status-changed']);
    const missing = await request(base).get('/v1/integration/schemas/contract.deleted').expect(404);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('reports the publisher in /ready', async () => {
    await http.post('/v1/contracts', contractBody(), TOKENS.advisor).expect(201);
    await until('the publisher is live', async () => {
      const ready = await request(base).get('/ready');
      const integration = (ready.body as { integration?: { state: string; publishedEvents: number } }).integration;
      return ready.status === 200 && integration?.state === 'live' && integration.publishedEvents > 0;
    });
  });

  it('a contract life reaches the feed and a webhook: valid envelopes, in order, scoped by municipality, through a receiver that fails for a while and a restart', async () => {
    // A webhook registered before anything happens, whose receiver answers 500 to its first 4 requests.
    const created = await http.post('/v1/integration/webhooks', { url: receiver.url('/hooks/utrecht'), eventTypes: ['contribution.recorded', 'contribution.verified', 'contract.registered', 'obligation.status-changed'] }, TOKENS.integrator);
    expect(created.status).toBe(201);
    const { webhookId, secret } = created.body as { webhookId: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    receiver.secret('/hooks/utrecht', secret).respond('/hooks/utrecht', (_r, n) => (n < 4 ? 500 : 204));

    // Utrecht: award, a hire, a purchase, a verification. Amsterdam: another contract.
    const utrecht = await http.post('/v1/contracts', contractBody(), TOKENS.advisor).expect(201);
    const id = (utrecht.body as { contractId: string }).contractId;
    await http.post('/v1/contracts', contractBody({ municipality: 'Amsterdam', tenderReference: 'AMS-1' }), TOKENS.advisorElsewhere).expect(201);
    const hire = await http.post(`/v1/contracts/${id}/hires`, { candidateRef: 'CAND-7', blockCode: 'PW', bonusCodes: [], startDate: '2023-02-01', hoursPerWeek: 36, permanent: false }, TOKENS.contractorA).expect(201);
    const placementId = (hire.body as { contributionId: string }).contributionId;
    await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde', kvk: '30123456' }, invoiceReference: 'F-1', amountExclVatCents: 1_500_000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE' }, TOKENS.contractorA).expect(201);
    await http.post(`/v1/contracts/${id}/contributions/${placementId}/verification`, { verdict: 'verified', note: 'arbeidscontract gezien' }, TOKENS.advisor).expect(201);

    // The feed: Utrecht's integrator gets Utrecht's events, from the start.
    const feed = consume(TOKENS.integrator);
    await until('the feed has the verification', () => feed.received.some((r) => r.type === 'contribution.verified'));
    const types = feed.received.map((r) => r.type);
    expect(types[0]).toBe('contract.registered');
    expect(types).toEqual(expect.arrayContaining(['contribution.recorded', 'contribution.verified', 'obligation.status-changed']));
    for (const r of feed.received) {
      expect(r.envelope.municipality).toBe('Utrecht');
      expect(r.envelope.contractId).toBe(id);
      expect(r.type).toBe(r.envelope.type);
      await validate(r.envelope);
    }
    const ids = feed.received.map((r) => BigInt(r.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    const hireEvent = feed.received.find((r) => r.type === 'contribution.recorded' && JSON.stringify(r.envelope.data).includes('CAND-7'));
    expect(hireEvent).toBeDefined();
    // No personal data beyond the pseudonymous candidate reference: the advisor's note stays inside.
    expect(JSON.stringify(feed.received.map((r) => r.envelope))).not.toContain('arbeidscontract gezien');

    // Amsterdam's integrator sees Amsterdam's registration only, and none of Utrecht's, also live.
    const elsewhere = consume(TOKENS.integratorElsewhere);
    await until('Amsterdam sees its registration', () => elsewhere.received.length >= 1);

    // The webhook: after the 500s, every matching event exactly once (after de-duplication), in feed order.
    const wanted = feed.received.filter((r) => ['contribution.recorded', 'contribution.verified', 'contract.registered', 'obligation.status-changed'].includes(r.type)).map((r) => r.envelope.id);
    await until('the webhook has every event', () => receiver.delivered('/hooks/utrecht').length >= wanted.length);
    expect(receiver.verifyErrors).toEqual([]);
    expect(receiver.forPath('/hooks/utrecht').filter((r) => r.answer === 500)).toHaveLength(4);
    expect(receiver.delivered('/hooks/utrecht').map((e) => e.id)).toEqual(wanted);
    const log = await http.get(`/v1/integration/webhooks/${webhookId}/deliveries`, TOKENS.integrator).expect(200);
    expect(JSON.stringify(log.body)).toContain('500');
    // ?minPosition= as on every GET
    const waited = await http.get(`/v1/integration/webhooks/${webhookId}/deliveries?limit=5&minPosition=${feed.received[feed.received.length - 1].id}`, TOKENS.integrator).expect(200);
    expect(waited.headers['x-projection-caught-up']).toBe('true');
    await http.get(`/v1/integration/webhooks/${webhookId}/deliveries?minPosition=soon`, TOKENS.integrator).expect(400);

    // A restart in the middle: stop the service, start a new one on the same folder; a write made
    // while the feed client is away is delivered to both channels after it, once.
    const lastSeen = feed.received[feed.received.length - 1].id;
    const before = feed.received.length;
    await stop();
    await start();
    await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde' }, invoiceReference: 'F-2', amountExclVatCents: 250_000, date: '2023-04-01', blockCode: 'SOCIAL-PURCHASE' }, TOKENS.contractorA).expect(201);
    const resumed = consume(TOKENS.integrator, '', lastSeen);
    await until('the resumed feed has the new purchase', () => resumed.received.some((r) => r.type === 'contribution.recorded'));
    expect(resumed.received.every((r) => BigInt(r.id) > BigInt(lastSeen))).toBe(true);
    for (const r of resumed.received) await validate(r.envelope);
    await until('the webhook has the new purchase', () => receiver.delivered('/hooks/utrecht').some((e) => JSON.stringify(e.data).includes('F-2')));
    const delivered = receiver.delivered('/hooks/utrecht').map((e) => e.id);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(before).toBeGreaterThan(0);

    expect(elsewhere.received.every((r) => r.envelope.municipality === 'Amsterdam')).toBe(true);
  }, 60_000);

  it('filters the feed by type and contract, and refuses other roles and bad filters with problem+json', async () => {
    const a = (await http.post('/v1/contracts', contractBody(), TOKENS.advisor).expect(201)).body as { contractId: string };
    await http.post('/v1/contracts', contractBody({ tenderReference: 'UTR-2' }), TOKENS.advisor).expect(201);
    const only = consume(TOKENS.integrator, `?types=contract.registered&contractId=${a.contractId}`);
    await until('the filtered feed has the registration', () => only.received.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(only.received.map((r) => [r.type, r.envelope.contractId])).toEqual([['contract.registered', a.contractId]]);

    const advisor = await request(base).get('/v1/integration/feed').set(auth(TOKENS.advisor));
    expect(advisor.status).toBe(403);
    expect(advisor.headers['content-type']).toMatch(/application\/problem\+json/);
    const bad = await request(base).get('/v1/integration/feed?types=contract.deleted').set(auth(TOKENS.integrator));
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    const anonymous = await request(base).get('/v1/integration/feed');
    expect(anonymous.status).toBe(401);
    // A Last-Event-ID beyond the store's log names no event: refused, not waited for while the events up to it go by.
    const beyond = await request(base).get('/v1/integration/feed').set({ ...auth(TOKENS.integrator), 'Last-Event-ID': '999999' });
    expect(beyond.status).toBe(422);
    expect(beyond.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(beyond.body).toMatchObject({ code: 'feed-start-beyond-log', lastPosition: expect.stringMatching(/^\d+$/) });
    const head = BigInt(beyond.body.lastPosition as string);
    // The head itself is a valid place to resume (what comes next is streamed).
    const atHead = consume(TOKENS.integrator, `?lastEventId=${head}&minPosition=${head}`);
    await http.post('/v1/contracts', contractBody({ tenderReference: 'UTR-3' }), TOKENS.advisor).expect(201);
    await until('the feed resumed at the head has the next registration', () => atHead.received.some((r) => r.type === 'contract.registered'));
    expect(atHead.received.every((r) => BigInt(r.id) > head)).toBe(true);
  });

  // On the event loop it shares the write side's folded states; in its thread it folds its own.
  it('publishes exactly what the pure mapper makes of the log', async () => {
    const id = ((await http.post('/v1/contracts', contractBody(), TOKENS.advisor).expect(201)).body as { contractId: string }).contractId;
    const placements: string[] = [];
    for (const ref of ['CAND-1', 'CAND-2', 'CAND-3']) {
      const hire = await http.post(`/v1/contracts/${id}/hires`, { candidateRef: ref, blockCode: 'PW', bonusCodes: [], startDate: '2023-02-01', hoursPerWeek: 32, permanent: false }, TOKENS.contractorA).expect(201);
      placements.push((hire.body as { contributionId: string }).contributionId);
    }
    await http.post(`/v1/contracts/${id}/hires/${placements[0]}/changes`, { effectiveDate: '2023-03-01', hoursPerWeek: 24, permanent: true }, TOKENS.contractorA).expect(201);
    await http.post(`/v1/contracts/${id}/hires/${placements[1]}/end`, { endDate: '2023-04-30', reason: 'moved on' }, TOKENS.contractorA).expect(200);
    await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde' }, invoiceReference: 'F-9', amountExclVatCents: 2_000_000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE' }, TOKENS.contractorA).expect(201);
    await http.post(`/v1/contracts/${id}/contributions/${placements[2]}/verification`, { verdict: 'verified', note: 'gezien' }, TOKENS.advisor).expect(201);
    await http.post(`/v1/contracts/${id}/value-changes`, { contractValueCents: 120_000_000, effectiveDate: '2023-05-01', reason: 'meerwerk' }, TOKENS.advisor).expect(201);

    await expectPublishedAsMapped();
    // After a restart (the publisher's cache warmed from the log), more events: still the same.
    await stop();
    await start();
    await http.post(`/v1/contracts/${id}/hires/${placements[0]}/end`, { endDate: '2023-06-30', reason: 'contract over' }, TOKENS.contractorA).expect(200);
    await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde' }, invoiceReference: 'F-10', amountExclVatCents: 500_000, date: '2023-06-01', blockCode: 'SOCIAL-PURCHASE' }, TOKENS.contractorA).expect(201);
    await expectPublishedAsMapped();
  });

  /** Waits for the publisher to reach the head, then compares the municipality streams with the pure mapper's output over the contract streams. */
  async function expectPublishedAsMapped(): Promise<void> {
    if (!app) throw new Error('the app is not running');
    const store = app.get<EventStore>(EVENT_STORE);
    const head = (await store.headPosition()) as bigint;
    await until('the publisher has published the log', async () => {
      const ready = (await request(base).get('/ready')).body as { integration?: { lastPublishedPosition: string | null } };
      const published = ready.integration?.lastPublishedPosition;
      return published !== null && published !== undefined && BigInt(published) >= head;
    });
    const states = new Map<string, unknown>();
    const expected = new Map<string, unknown[]>();
    const actual = new Map<string, unknown[]>();
    for await (const e of store.readAll()) {
      if (e.streamId.startsWith('integration-')) {
        actual.set(e.streamId, [...(actual.get(e.streamId) ?? []), e.data]);
        continue;
      }
      if (!e.streamId.startsWith('contract-') || e.position > head) continue;
      const contractId = e.streamId.slice('contract-'.length);
      const source = { streamId: e.streamId, id: e.id, position: String(e.position), recordedAt: e.recordedAt, event: { type: e.type, schemaVersion: 1, data: e.data } } as unknown as SourceEvent;
      const r = integrationMapper(states.get(contractId) as never, source);
      states.set(contractId, r.state);
      for (const env of r.events) {
        const stream = `integration-${env.municipality.toLowerCase()}`;
        expected.set(stream, [...(expected.get(stream) ?? []), env]);
      }
    }
    expect([...expected.keys()]).toEqual(['integration-utrecht']);
    expect(JSON.stringify(actual.get('integration-utrecht'))).toBe(JSON.stringify(expected.get('integration-utrecht')));
  }
});
