/**
 * A status change due to the date alone reaches integrators on the day it happens, end to end:
 * the real app with its clock moved forward (the clock seam of createApp), the obligation monitor
 * observing the change, the publisher, the integration log and the SSE feed read with the real
 * `eventsource` client. Every envelope is validated against the JSON Schema the service serves.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { addDays } from '@sroi/domain';
import { amsterdamDateOf, type PublicEventEnvelope } from '@sroi/integration-events';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { EventSource } from 'eventsource';
import request from 'supertest';
import { createApp } from '../src/app.factory';
import { Clock } from '../src/platform/clock';
import { api, contractBody, removeDir, tempDir, testConfig, TOKENS, writeTokens, type Api } from './harness';

/** The service's clock, whose date a test sets (null: the real date). */
class MovableClock extends Clock {
  date: string | null = null;
  override today(): string {
    return this.date ?? super.today();
  }
}

class Consumer {
  readonly received: PublicEventEnvelope[] = [];
  readonly source: EventSource;
  constructor(base: string, token: string) {
    this.source = new EventSource(`${base}/v1/integration/feed?types=obligation.status-changed`, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` } }),
    });
    this.source.addEventListener('obligation.status-changed', (e: MessageEvent) => this.received.push(JSON.parse(String(e.data)) as PublicEventEnvelope));
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

// The monitor looks at the clock every 50 ms instead of every minute.
const ENV = { SROI_OBLIGATION_CHECK_MS: '50', SROI_FEED_HEARTBEAT_MS: '1000' };

describe('integrators: a status change due to the date alone, on the day it happens', () => {
  let dir: string;
  let app: NestFastifyApplication | undefined;
  let base: string;
  let http: Api;
  const clock = new MovableClock();
  const consumers: Consumer[] = [];
  const saved: Record<string, string | undefined> = {};
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  let validator: ReturnType<typeof ajv.compile> | undefined;

  async function start(): Promise<void> {
    app = await createApp(testConfig(dir), { logger: false, clock });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    http = api(app);
  }

  async function stop(): Promise<void> {
    for (const c of consumers.splice(0)) c.close();
    await app?.close();
    app = undefined;
  }

  const consume = (): Consumer => {
    const c = new Consumer(base, TOKENS.integrator);
    consumers.push(c);
    return c;
  };

  async function validate(envelope: PublicEventEnvelope): Promise<void> {
    if (!validator) validator = ajv.compile((await request(base).get('/v1/integration/schemas/obligation.status-changed').expect(200)).body as object);
    if (!validator(envelope)) throw new Error(`does not match its schema: ${ajv.errorsText(validator.errors)}\n${JSON.stringify(envelope)}`);
  }

  const changes = (c: Consumer, contractId: string) => c.received.filter((e) => e.contractId === contractId).map((e) => [e.data['from'], e.data['to'], e.data['asOf']]);

  beforeAll(() => {
    for (const [k, v] of Object.entries(ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });

  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  beforeEach(async () => {
    dir = tempDir();
    writeTokens(dir);
    clock.date = null;
    await start();
  });

  afterEach(async () => {
    await stop();
    removeDir(dir);
  });

  it('the clock moves past the start, then past the end: the feed gets behind, then not-met, once each, across a restart; the contract revision stays', async () => {
    const today = amsterdamDateOf(new Date().toISOString());
    // Starts in 10 days: on track today. Beside it, a contract that ended in 2024 (not met, and stays so).
    const created = await http.post('/v1/contracts', contractBody({ startDate: addDays(today, 10), endDate: addDays(today, 100) }), TOKENS.advisor).expect(201);
    const id = (created.body as { contractId: string }).contractId;
    const other = (await http.post('/v1/contracts', contractBody({ tenderReference: 'UTR-OLD' }), TOKENS.advisor).expect(201)).body as { contractId: string };
    const etag = (await http.get(`/v1/contracts/${id}?minPosition=${(created.body as { position: string }).position}`).expect(200)).headers['etag'];

    const feed = consume();
    await until('the feed has the first status', () => changes(feed, id).length >= 1);
    expect(changes(feed, id)).toEqual([[null, 'on-track', today]]);

    // Five days into its period: behind, published by the monitor's observation.
    clock.date = addDays(today, 15);
    await until('the feed has behind', () => changes(feed, id).length >= 2);
    expect(changes(feed, id)).toEqual([
      [null, 'on-track', today],
      ['on-track', 'behind', addDays(today, 15)],
    ]);
    const behind = feed.received.find((e) => e.contractId === id && e.data['to'] === 'behind') as PublicEventEnvelope;
    expect(behind).toMatchObject({ municipality: 'Utrecht', data: { figures: { realisedCents: 0, elapsedDays: 6, contractDays: 91 } } });
    for (const e of feed.received) await validate(e);
    // The status the API reports on that date agrees; the contract's revision (its ETag) did not move.
    const summary = await http.get(`/v1/contracts/${id}`).expect(200);
    expect(summary.body).toMatchObject({ status: 'behind', asOf: addDays(today, 15) });
    expect(summary.headers['etag']).toBe(etag);

    // A restart on the same day observes nothing again; after the end date: not met.
    await stop();
    await start();
    clock.date = addDays(today, 101);
    const resumed = consume();
    await until('the feed has not-met', () => changes(resumed, id).length >= 3);
    expect(changes(resumed, id)).toEqual([
      [null, 'on-track', today],
      ['on-track', 'behind', addDays(today, 15)],
      ['behind', 'not-met', addDays(today, 101)],
    ]);
    for (const e of resumed.received) await validate(e);
    const ids = resumed.received.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    // The contract that ended long ago: its first status only.
    expect(changes(resumed, other.contractId)).toEqual([[null, 'not-met', today]]);
  }, 60_000);
});
