import { SwaggerModule, DocumentBuilder } from '@nestjs/swagger';
import type { PublicEventEnvelope } from '@sroi/integration-events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { TOKENS } from '../../../test/harness';
import { CountingLog, envelope, FeedClient, parseSse, sleep, startFeedApp, waitUntil, type FeedTestApp } from './testing/feed-test-app';

const utrecht = (o: Partial<PublicEventEnvelope> = {}) => envelope({ municipality: 'Utrecht', ...o });
const amsterdam = (o: Partial<PublicEventEnvelope> = {}) => envelope({ municipality: 'Amsterdam', contractId: 'contract-a1', ...o });

/** Opens the feed with node:http and collects the raw text until `stop` says so. */
function rawFeed(url: string, headers: Record<string, string>, stop: (text: string) => boolean, timeoutMs = 5000): Promise<{ res: IncomingMessage; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let text = '';
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`timed out; got ${JSON.stringify(text)}`));
      }, timeoutMs);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (stop(text)) {
          clearTimeout(timer);
          req.destroy();
          resolve({ res, text });
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ res, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /v1/integration/feed (Server-Sent Events)', () => {
  let t: FeedTestApp;
  const clients: FeedClient[] = [];
  const client = (token: string, query = '', lastEventId?: string) => {
    const c = new FeedClient(`${t.feedUrl}${query}`, token, lastEventId);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    t = await startFeedApp({ heartbeatMs: 150, retryMs: 100, pageSize: 4 }, new CountingLog());
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t.close();
  });

  it('replays the history from the start, then streams live; ids are positions, data the envelope', async () => {
    const history = t.log.append([utrecht({ type: 'contract.registered' }), amsterdam(), utrecht(), utrecht({ type: 'contribution.verified' })], 3n);
    const c = client(TOKENS.integrator);
    await waitUntil('the history is replayed', () => c.events.length === 3);
    const mine = history.filter((e) => e.municipality === 'Utrecht');
    expect(c.events).toEqual(mine.map((e) => ({ id: String(e.position), type: e.type, data: e.json })));
    // positions have gaps (3n): ids are the positions, not counters
    expect(c.ids()).toEqual(mine.map((e) => e.position.toString()));

    const live = t.log.append([utrecht({ type: 'obligation.status-changed' }), amsterdam(), utrecht()]);
    await waitUntil('the live events arrive', () => c.events.length === 5);
    expect(c.events.slice(3).map((e) => e.id)).toEqual(live.filter((e) => e.municipality === 'Utrecht').map((e) => String(e.position)));
    expect(JSON.parse(c.events[3].data)).toMatchObject({ type: 'obligation.status-changed', municipality: 'Utrecht', schemaVersion: 1 });
    await sleep(200);
    expect(c.events).toHaveLength(5);
    expect(c.opens).toBe(1);
  });

  it('hands over from a long replay (many pages) to live with no gap and no duplicate', async () => {
    t.log.append(Array.from({ length: 41 }, () => utrecht()));
    const c = client(TOKENS.integrator);
    // append while the replay (pages of 4) is still going
    for (let i = 0; i < 10; i++) {
      t.log.append([utrecht()]);
      await sleep(1);
    }
    await waitUntil('everything arrived', () => c.events.length >= 51);
    await sleep(100);
    const all = t.log.read({ after: null, municipality: 'Utrecht', limit: 1000 });
    expect(c.ids()).toEqual(all.map((e) => String(e.position)));
  });

  it('resumes after a disconnect with Last-Event-ID: nothing lost, nothing twice', async () => {
    t.log.append([utrecht(), utrecht(), utrecht()]);
    const first = client(TOKENS.integrator);
    await waitUntil('3 events', () => first.events.length === 3);
    first.close();
    await waitUntil('the server let go of the stream', () => t.feed.streams().length === 0 && t.log.subscribed === 0);
    t.log.append([utrecht(), amsterdam(), utrecht()]);

    const resumed = client(TOKENS.integrator, '', first.ids()[2]);
    await waitUntil('the 2 missed events', () => resumed.events.length === 2);
    t.log.append([utrecht()]);
    await waitUntil('the next live event', () => resumed.events.length === 3);
    const all = t.log.read({ after: null, municipality: 'Utrecht', limit: 100 }).map((e) => String(e.position));
    expect([...first.ids(), ...resumed.ids()]).toEqual(all);

    // browsers: ?lastEventId= (the header wins when both are given)
    const byQuery = client(TOKENS.integrator, `?lastEventId=${all[4]}`);
    await waitUntil('the last event', () => byQuery.events.length === 1);
    expect(byQuery.ids()).toEqual([all[5]]);
    const both = client(TOKENS.integrator, '?lastEventId=0', all[3]);
    await waitUntil('two events', () => both.events.length === 2);
    await sleep(100);
    expect(both.ids()).toEqual(all.slice(4));
    const garbageQuery = client(TOKENS.integrator, '?lastEventId=garbage', all[4]);
    await waitUntil('one event', () => garbageQuery.events.length === 1);
    expect(garbageQuery.ids()).toEqual([all[5]]);
  });

  it('reconnects by itself after the connection breaks and continues where it was', async () => {
    t.log.append([utrecht(), utrecht()]);
    const c = client(TOKENS.integrator);
    await waitUntil('2 events', () => c.events.length === 2);
    for (const s of t.sockets) s.destroy(); // the network fails
    t.log.append([utrecht(), utrecht()]); // while the client is away
    await waitUntil('the client is back and has caught up', () => c.opens === 2 && c.events.length === 4);
    t.log.append([utrecht()]);
    await waitUntil('live again', () => c.events.length === 5);
    expect(c.ids()).toEqual(t.log.read({ after: null, municipality: 'Utrecht', limit: 100 }).map((e) => String(e.position)));
  });

  it('filters by ?types= and ?contractId=, in the replay and live', async () => {
    t.log.append([
      utrecht({ type: 'contract.registered', contractId: 'c1' }),
      utrecht({ type: 'contribution.recorded', contractId: 'c1' }),
      utrecht({ type: 'contribution.recorded', contractId: 'c2' }),
      utrecht({ type: 'contribution.verified', contractId: 'c1' }),
    ]);
    const byType = client(TOKENS.integrator, '?types=contract.registered,contribution.verified');
    const byContract = client(TOKENS.integrator, '?contractId=c2');
    const both = client(TOKENS.integrator, '?types=contribution.recorded&contractId=c1');
    await waitUntil('replays', () => byType.events.length === 2 && byContract.events.length === 1 && both.events.length === 1);
    t.log.append([utrecht({ type: 'contribution.verified', contractId: 'c2' }), utrecht({ type: 'contribution.recorded', contractId: 'c1' })]);
    await waitUntil('live', () => byType.events.length === 3 && byContract.events.length === 2 && both.events.length === 2);
    await sleep(100);
    expect(byType.events.map((e) => e.type)).toEqual(['contract.registered', 'contribution.verified', 'contribution.verified']);
    expect(byContract.events.map((e) => JSON.parse(e.data).contractId)).toEqual(['c2', 'c2']);
    expect(both.events.map((e) => [e.type, JSON.parse(e.data).contractId])).toEqual([
      ['contribution.recorded', 'c1'],
      ['contribution.recorded', 'c1'],
    ]);
  });

  it('scopes to the token\'s municipality: Amsterdam never sees Utrecht, not even live', async () => {
    t.log.append([utrecht(), amsterdam(), utrecht({ contractId: 'contract-a1' })]);
    const ams = client(TOKENS.integratorElsewhere);
    const utr = client(TOKENS.integrator);
    // asking for a contract of the other municipality gives nothing either
    const amsForUtrechtContract = client(TOKENS.integratorElsewhere, '?contractId=contract-u1');
    await waitUntil('replays', () => ams.events.length === 1 && utr.events.length === 2);
    t.log.append([utrecht(), amsterdam(), amsterdam({ municipality: ' amsterdam ' }), utrecht()]);
    await waitUntil('live', () => ams.events.length === 3 && utr.events.length === 4);
    await sleep(150);
    expect(ams.events.map((e) => JSON.parse(e.data).municipality.trim().toLowerCase())).toEqual(['amsterdam', 'amsterdam', 'amsterdam']);
    expect(utr.events.every((e) => JSON.parse(e.data).municipality === 'Utrecht')).toBe(true);
    expect(amsForUtrechtContract.events).toEqual([]);
  });

  it('answers 401, 403 and 400 as problem+json before any stream starts', async () => {
    const get = async (query: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${t.feedUrl}${query}`, { headers: { accept: 'text/event-stream', ...headers } });
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    const none = await get('');
    expect(none).toMatchObject({ status: 401, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'unauthorized', status: 401 } });
    expect((await get('', bearer('nope'))).status).toBe(401);
    for (const token of [TOKENS.advisor, TOKENS.admin, TOKENS.auditor, TOKENS.contractorA]) {
      expect(await get('', bearer(token))).toMatchObject({ status: 403, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'forbidden' } });
    }
    const unknownType = await get('?types=contract.registered,contract.deleted', bearer(TOKENS.integrator));
    expect(unknownType).toMatchObject({ status: 400, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'unknown-event-type', unknown: ['contract.deleted'] } });
    expect(await get('', { ...bearer(TOKENS.integrator), 'last-event-id': 'abc' })).toMatchObject({ status: 400, body: { code: 'invalid-last-event-id', parameter: 'Last-Event-ID' } });
    expect(await get('?lastEventId=-1', bearer(TOKENS.integrator))).toMatchObject({ status: 400, body: { code: 'invalid-last-event-id', parameter: 'lastEventId' } });
    expect(await get('?since=1', bearer(TOKENS.integrator))).toMatchObject({ status: 400, body: { code: 'validation-failed' } });
    expect(t.feed.streams()).toEqual([]);
    expect(t.log.subscribed).toBe(0);
  });

  it('sends the SSE headers, retry: once, and heartbeats on an idle stream; keeps the position header', async () => {
    const heartbeats = (text: string) => parseSse(text).filter((m) => m.comments.includes('heartbeat')).length;
    const { res, text } = await rawFeed(t.feedUrl, { authorization: `Bearer ${TOKENS.integrator}`, 'x-test': '1' }, (s) => heartbeats(s) >= 3, 3000);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.headers['x-projection-position']).toBe('7'); // the position hook ran before the stream began and its header survived
    expect(text.startsWith('retry: 100\n\n')).toBe(true);
    expect(text.match(/^retry:/gm)).toHaveLength(1);
    expect(heartbeats(text)).toBeGreaterThanOrEqual(3);
    await waitUntil('the server let go of the stream', () => t.feed.streams().length === 0 && t.log.subscribed === 0);
  });

  it('lets go of a client that disconnects: no listener, no timer, no stream left', async () => {
    const cs = [client(TOKENS.integrator), client(TOKENS.integrator, '?types=contract.changed'), client(TOKENS.integratorElsewhere)];
    await waitUntil('3 open streams', () => t.feed.streams().length === 3 && cs.every((c) => c.opens === 1));
    expect(t.log.subscribed).toBe(3);
    for (const c of cs) c.close();
    await waitUntil('all closed', () => t.feed.streams().length === 0);
    expect(t.log.subscribed).toBe(0);
    t.log.append([utrecht()]); // nobody listens: nothing breaks
    await sleep(50);
  });

  it('is documented in the OpenAPI document', () => {
    const doc = SwaggerModule.createDocument(t.app, new DocumentBuilder().addBearerAuth().build());
    const op = doc.paths['/v1/integration/feed']?.get;
    expect(op).toBeDefined();
    expect(Object.keys(op?.responses['200'] && 'content' in op.responses['200'] ? (op.responses['200'].content ?? {}) : {})).toEqual(['text/event-stream']);
    expect((op?.parameters ?? []).map((p) => ('name' in p ? p.name : ''))).toEqual(expect.arrayContaining(['types', 'contractId', 'lastEventId', 'Last-Event-ID']));
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });
});
