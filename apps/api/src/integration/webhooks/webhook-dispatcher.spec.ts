import type { PublicEventType } from '@sroi/integration-events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IntegrationLogEntry } from '../integration-log';
import { InMemoryIntegrationLog } from '../testing/in-memory-integration-log';
import { envelope, eventually, sleep, WebhookReceiver } from './testing/webhook-receiver';
import { UrlPolicy, type HostResolver } from './url-policy';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookOptions, type WebhookOptionsInit } from './webhook-options';
import { WebhookSigner } from './webhook-signer';
import { WebhookStore, type WebhookEndpoint } from './webhook-store';

// Generous: the waits below end as soon as their condition holds; this only bounds a broken run on a loaded machine.
jest.setTimeout(60_000);

const quiet = { log: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };

describe('WebhookDispatcher (real HTTP receiver, real SQLite)', () => {
  let dir: string;
  let receiver: WebhookReceiver;
  let log: InMemoryIntegrationLog;
  let store: WebhookStore;
  let dispatcher: WebhookDispatcher;
  let options: WebhookOptions;
  let nextId = 0;

  const open = (init: WebhookOptionsInit = {}): void => {
    options = new WebhookOptions({
      allowLoopback: true,
      // Far longer than any answer takes even on a loaded machine: only a 'hang' times out (and a stop aborts it).
      requestTimeoutMs: 10_000,
      pollIntervalMs: 200,
      random: () => 0.5, // jitter spread 0: the schedule is exact
      ...init,
      retry: { initialDelayMs: 10, multiplier: 2, maxDelayMs: 40, jitter: 0.5, giveUpAfterMs: 60_000, ...init.retry },
    });
    store = new WebhookStore(join(dir, 'webhooks.sqlite'), { deliveryLogLimit: options.deliveryLogLimit });
    dispatcher = new WebhookDispatcher(store, log, new UrlPolicy({ allowLoopback: true, resolve: options.resolve }), options, quiet);
  };

  const register = (path: string, eventTypes: PublicEventType[] = ['contribution.recorded', 'contract.registered'], municipality = 'Utrecht', url = receiver.url(path)): WebhookEndpoint => {
    const secret = WebhookSigner.generateSecret();
    receiver.secret(path, secret);
    nextId += 1;
    return store.create({
      id: `wh-${nextId}`,
      municipality,
      url,
      eventTypes,
      description: null,
      secret,
      createdBy: 'test',
      cursor: log.lastPosition(),
      now: new Date().toISOString(),
    });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sroi-webhooks-'));
    receiver = await new WebhookReceiver().start();
    log = new InMemoryIntegrationLog();
    open();
  });

  afterEach(async () => {
    await dispatcher.stop();
    store.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries through 500s and then delivers every event of its municipality and types exactly once, in order, every request verified', async () => {
    await dispatcher.stop();
    store.close();
    open({ deliveryLogLimit: 10_000 }); // /a's failures below are at least 7, but how many depends on the machine's speed
    log.append([envelope('Utrecht')]); // before registration: not delivered
    const a = register('/a');
    register('/all', ['contract.registered', 'contract.changed', 'contribution.recorded', 'contribution.changed', 'contribution.verified', 'contribution.rejected', 'obligation.status-changed']);
    const appended: IntegrationLogEntry[] = [];
    const utrecht: IntegrationLogEntry[] = []; // filled once everything is appended
    // /a fails its first 7 requests, whatever they are, and goes on failing until /all has everything: so /all is
    // served while /a is failing, whatever the timing (were /all held up by /a, both would wait forever).
    const allDone = (): boolean => utrecht.length > 0 && receiver.delivered('/all').length === utrecht.length;
    receiver.respond('/a', (_, n) => (n < 7 || !allDone() ? 500 : 200));
    dispatcher.start();

    for (let i = 0; i < 4; i++) {
      appended.push(
        ...log.append([
          envelope('Utrecht', 'contribution.recorded', { i }),
          envelope('Amsterdam', 'contribution.recorded', { i }),
          envelope(' utrecht ', 'contract.registered', { i }),
          envelope('Utrecht', 'contribution.verified', { i }),
        ], 1n),
      );
      await sleep(5);
    }
    utrecht.push(...appended.filter((e) => e.municipality.trim().toLowerCase() === 'utrecht'));
    const forA = utrecht.filter((e) => e.type !== 'contribution.verified');

    await eventually(() => receiver.delivered('/a').length === forA.length && allDone(), undefined, 'the deliveries (is /all held up by the failing /a?)');
    expect(receiver.verifyErrors).toEqual([]);
    expect(receiver.delivered('/a').map((e) => e.id)).toEqual(forA.map((e) => e.eventId));
    expect(receiver.delivered('/all').map((e) => e.id)).toEqual(utrecht.map((e) => e.eventId));
    // Strictly in order: no event was attempted before the one before it had succeeded.
    expect(receiver.attemptOrder('/a')).toEqual(forA.map((e) => e.eventId));
    const failures = receiver.forPath('/a').filter((r) => r.answer === 500).length;
    expect(failures).toBeGreaterThanOrEqual(7);
    // All of them at the first event, then one request per event.
    expect(receiver.forPath('/a').map((r) => r.answer)).toEqual([...Array<number>(failures).fill(500), ...Array<number>(forA.length).fill(200)]);
    // The body is the log's JSON text exactly; webhook-id is the envelope id on every retry.
    for (const r of receiver.forPath('/a')) {
      const entry = forA.find((e) => e.eventId === r.id);
      expect(r.body).toBe(entry?.json);
      expect(r.headers['content-type']).toBe('application/json');
      expect(Math.abs(r.timestamp - Date.now() / 1000)).toBeLessThan(30);
    }
    // A failing endpoint does not hold up another one: /all had everything before /a's first success (by arrival order).
    const lastAll = receiver.requests.lastIndexOf(receiver.forPath('/all')[utrecht.length - 1]);
    const firstASuccess = receiver.requests.findIndex((r) => r.path === '/a' && r.answer === 200);
    expect(lastAll).toBeLessThan(firstASuccess);

    await eventually(() => store.get(a.id)?.deliveredCount === forA.length);
    const state = store.get(a.id) as WebhookEndpoint;
    expect(state).toMatchObject({ status: 'active', attempts: 0, nextAttemptAt: null, lastError: null, cursor: forA.at(-1)?.position });
    const attempts = store.deliveries(a.id, 10_000);
    expect(attempts).toHaveLength(forA.length + failures);
    // Oldest first: failures 1..n at the first event, its delivery as attempt n + 1, then each other event at its first attempt.
    expect([...attempts].reverse().map((x) => [x.eventId, x.outcome, x.attempt])).toEqual([
      ...Array.from({ length: failures }, (_, i) => [forA[0].eventId, 'failed', i + 1]),
      [forA[0].eventId, 'delivered', failures + 1],
      ...forA.slice(1).map((e) => [e.eventId, 'delivered', 1]),
    ]);
    expect(attempts[attempts.length - 1]).toMatchObject({ outcome: 'failed', statusCode: 500, attempt: 1, eventId: forA[0].eventId, position: forA[0].position, eventType: 'contribution.recorded' });
    expect(attempts[attempts.length - 1].error).toMatch(/^HTTP 500: nope 500/);
    expect(attempts[0]).toMatchObject({ outcome: 'delivered', statusCode: 200, error: null, attempt: 1, eventId: forA.at(-1)?.eventId });
    expect(attempts.find((x) => x.outcome === 'delivered' && x.attempt === failures + 1)).toBeDefined();
  });

  it('backs off exponentially, marks the endpoint failing after the give-up window, and resume restarts from the undelivered event', async () => {
    // The dispatcher's clock stands still unless the test moves it, so the schedule is exact however slow the
    // machine is (the retry timers still run: they keep looking until the clock says the retry is due).
    const clock = { ms: Date.now() };
    await dispatcher.stop();
    store.close();
    open({ now: () => clock.ms, retry: { initialDelayMs: 20, multiplier: 2, maxDelayMs: 1_000, giveUpAfterMs: 100 } });
    const ep = register('/down');
    let up = false;
    receiver.respond('/down', () => (up ? 200 : 503));
    dispatcher.start();
    const t0 = clock.ms;
    const events = log.append([envelope('Utrecht'), envelope('Utrecht'), envelope('Utrecht')]);

    // Failures at 0, 20, 60 and 140 ms: the fourth is the first at least 100 ms after the first, so the endpoint gives up there.
    const schedule = [0, 20, 60, 140];
    for (let i = 0; i < schedule.length; i++) {
      await eventually(() => (store.get(ep.id)?.attempts ?? 0) > i, undefined, `failure ${i + 1}`);
      const state = store.get(ep.id) as WebhookEndpoint;
      expect(state).toMatchObject({ attempts: i + 1, firstFailureAt: t0 });
      // (The count and the status are written together.)
      if (i === schedule.length - 1) {
        expect(state).toMatchObject({ status: 'failing', nextAttemptAt: null });
        break;
      }
      expect(state).toMatchObject({ status: 'active', nextAttemptAt: t0 + schedule[i + 1] });
      // Not before its time: 1 ms early, nothing (the retry timer keeps firing meanwhile).
      clock.ms = t0 + schedule[i + 1] - 1;
      dispatcher.wake();
      await sleep(30);
      expect(receiver.forPath('/down')).toHaveLength(i + 1);
      clock.ms += 1;
    }
    const tries = receiver.forPath('/down');
    expect(tries).toHaveLength(4);
    expect(new Set(tries.map((t) => t.id))).toEqual(new Set([events[0].eventId]));
    expect(store.deliveries(ep.id, 10).reverse().map((d) => [Date.parse(d.attemptedAt) - t0, d.attempt, d.outcome])).toEqual(schedule.map((at, i) => [at, i + 1, 'failed']));
    const failing = store.get(ep.id) as WebhookEndpoint;
    expect(failing).toMatchObject({ status: 'failing', attempts: 4, nextAttemptAt: null, cursor: ep.cursor, failingSince: new Date(t0 + 140).toISOString() });
    expect(failing.lastError).toMatch(/HTTP 503/);

    // Failing: no more attempts, even when new events come and time passes. Another endpoint getting the new event
    // shows the dispatcher has looked since.
    register('/control');
    log.append([envelope('Utrecht')]);
    clock.ms += 60_000;
    await eventually(() => receiver.delivered('/control').length === 1, undefined, 'the control endpoint');
    await sleep(50);
    expect(receiver.forPath('/down')).toHaveLength(4);
    expect(store.get(ep.id)).toMatchObject({ status: 'failing', attempts: 4 });

    up = true;
    expect(store.resume(ep.id, 'Utrecht', new Date().toISOString())).toBe(true);
    dispatcher.wake();
    await eventually(() => receiver.delivered('/down').length === 4);
    expect(receiver.delivered('/down').map((e) => e.id)).toEqual(log.read({ after: null, limit: 10 }).map((e) => e.eventId));
    expect(receiver.attemptOrder('/down')[0]).toBe(events[0].eventId);
    await eventually(() => store.get(ep.id)?.deliveredCount === 4);
    expect(store.get(ep.id)).toMatchObject({ status: 'active', attempts: 0, failingSince: null });
    expect(receiver.verifyErrors).toEqual([]);
  });

  it('spreads the backoff by the jitter and caps it', () => {
    const at = (random: number) => new WebhookOptions({ random: () => random, retry: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 8_000, jitter: 0.2 } });
    expect([1, 2, 3, 4, 5, 9].map((n) => at(0.5).backoffMs(n))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(at(0).backoffMs(2)).toBe(1_600);
    expect(at(0.999999).backoffMs(2)).toBe(2_400);
    const defaults = new WebhookOptions();
    expect(defaults.retry).toEqual({ initialDelayMs: 5_000, multiplier: 2, maxDelayMs: 3_600_000, jitter: 0.2, giveUpAfterMs: 86_400_000 });
    expect(defaults.requestTimeoutMs).toBe(10_000);
    // The default schedule keeps retrying for at least 24 hours (give-up is checked at a failure).
    let elapsed = 0;
    let n = 0;
    while (elapsed < defaults.retry.giveUpAfterMs) elapsed += new WebhookOptions({ random: () => 0 }).backoffMs(++n);
    expect(n).toBeGreaterThan(20);
  });

  it('counts a timeout, a redirect (not followed) and a refused connection as failed attempts', async () => {
    await dispatcher.stop();
    store.close();
    // Long enough that the redirect's and the 2xx's answers always come in time, even on a loaded machine: only the hang times out.
    open({ requestTimeoutMs: 1_000, retry: { initialDelayMs: 5, maxDelayMs: 5 } });
    const ep = register('/slow');
    receiver.respond('/slow', (_, n) => (n === 0 ? 'hang' : n === 1 ? 302 : 204));
    const closedPort = await new WebhookReceiver().start();
    const refusedUrl = closedPort.url('/gone');
    await closedPort.close();
    const refused = register('/gone', ['contribution.recorded'], 'Utrecht', refusedUrl);
    dispatcher.start();
    const [event] = log.append([envelope('Utrecht')]);

    // The store, not the receiver: the receiver has the 204 a moment before the dispatcher has recorded it.
    await eventually(() => store.get(ep.id)?.deliveredCount === 1);
    expect(receiver.delivered('/slow')).toHaveLength(1);
    const attempts = store.deliveries(ep.id, 10).reverse();
    expect(attempts.map((a) => [a.outcome, a.statusCode, a.attempt])).toEqual([
      ['failed', null, 1],
      ['failed', 302, 2],
      ['delivered', 204, 3],
    ]);
    expect(attempts[0].error).toMatch(/^timeout after 1000 ms/);
    expect(attempts[0].durationMs).toBeGreaterThanOrEqual(990);
    expect(attempts[1].error).toMatch(/HTTP 302 \(redirect to \/redirected not followed\)/);
    expect(receiver.requests.filter((r) => r.path === '/redirected')).toHaveLength(0);
    expect(attempts.every((a) => a.eventId === event.eventId)).toBe(true);

    await eventually(() => (store.get(refused.id)?.attempts ?? 0) >= 2);
    expect(store.deliveries(refused.id, 1)[0]).toMatchObject({ outcome: 'failed', statusCode: null });
    expect(store.deliveries(refused.id, 1)[0].error).toMatch(/ECONNREFUSED/);
  });

  it('pauses and resumes; delete stops deliveries and removes the log', async () => {
    const ep = register('/p');
    const other = register('/q');
    dispatcher.start();
    log.append([envelope('Utrecht')]);
    await eventually(() => receiver.delivered('/p').length === 1 && receiver.delivered('/q').length === 1);

    expect(store.pause(ep.id, 'Utrecht', new Date().toISOString())).toBe(true);
    expect(store.pause(ep.id, 'Amsterdam', new Date().toISOString())).toBe(false);
    log.append([envelope('Utrecht'), envelope('Utrecht')]);
    await eventually(() => receiver.delivered('/q').length === 3);
    await sleep(100);
    expect(receiver.forPath('/p')).toHaveLength(1);
    expect(store.get(ep.id)?.status).toBe('paused');

    store.resume(ep.id, 'Utrecht', new Date().toISOString());
    dispatcher.wake();
    await eventually(() => receiver.delivered('/p').length === 3);
    expect(receiver.delivered('/p').map((e) => e.id)).toEqual(receiver.delivered('/q').map((e) => e.id));

    expect(store.delete(other.id, 'Amsterdam')).toBe(false);
    expect(store.delete(other.id, 'Utrecht')).toBe(true);
    expect(store.get(other.id)).toBeUndefined();
    expect(store.deliveries(other.id, 10)).toEqual([]);
    log.append([envelope('Utrecht')]);
    await eventually(() => receiver.delivered('/p').length === 4);
    await sleep(50);
    expect(receiver.forPath('/q')).toHaveLength(3);
    expect(receiver.verifyErrors).toEqual([]);
  });

  it('loses nothing across a restart in the middle of a delivery (same webhook-id redelivered, receiver de-duplicates)', async () => {
    const ep = register('/r');
    receiver.respond('/r', (_, n) => (n === 3 ? 'hang' : 200));
    dispatcher.start();
    const before = log.append([envelope('Utrecht'), envelope('Utrecht'), envelope('Utrecht'), envelope('Utrecht'), envelope('Utrecht')]);
    await eventually(() => receiver.forPath('/r').length === 4, undefined, 'the hanging request');
    // Crash-like stop while the 4th event is in flight; events keep coming while nobody delivers.
    await dispatcher.stop();
    store.close();
    const during = log.append([envelope('Utrecht'), envelope('Utrecht')]);

    open();
    expect(store.get(ep.id)).toMatchObject({ cursor: before[2].position, deliveredCount: 3, attempts: 0 });
    dispatcher.start();
    const all = [...before, ...during];
    await eventually(() => receiver.delivered('/r').length === all.length);
    expect(receiver.delivered('/r').map((e) => e.id)).toEqual(all.map((e) => e.eventId));
    expect(receiver.attemptOrder('/r')).toEqual(all.map((e) => e.eventId));
    const fourth = receiver.forPath('/r').filter((r) => r.id === before[3].eventId);
    expect(fourth.map((r) => r.answer)).toEqual(['hang', 200]);
    expect(receiver.verifyErrors).toEqual([]);
    await eventually(() => store.get(ep.id)?.cursor === during[1].position);
  });

  it('keeps only the last N attempts per endpoint in the delivery log', async () => {
    await dispatcher.stop();
    store.close();
    open({ deliveryLogLimit: 3 });
    const ep = register('/n');
    dispatcher.start();
    const events = log.append([envelope('Utrecht'), envelope('Utrecht'), envelope('Utrecht'), envelope('Utrecht'), envelope('Utrecht')]);
    await eventually(() => store.get(ep.id)?.deliveredCount === 5);
    expect(store.deliveries(ep.id, 100).map((a) => a.position)).toEqual(events.slice(2).reverse().map((e) => e.position));
  });

  it('checks the resolved address again at delivery time (DNS rebinding) and connects only to the checked address', async () => {
    let answer = '127.0.0.1';
    const resolve: HostResolver = async (host) => {
      if (host !== 'hooks.localhost') throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return [{ address: answer, family: 4 }];
    };
    await dispatcher.stop();
    store.close();
    open({ resolve, retry: { initialDelayMs: 20, maxDelayMs: 20 } });
    const policy = new UrlPolicy({ allowLoopback: true, resolve });
    const url = receiver.url('/dns', 'hooks.localhost');
    expect((await policy.check(url)).ok).toBe(true);
    const ep = register('/dns', ['contribution.recorded'], 'Utrecht', url);

    answer = '10.1.2.3';
    dispatcher.start();
    log.append([envelope('Utrecht')]);
    await eventually(() => (store.get(ep.id)?.attempts ?? 0) >= 1);
    expect(store.get(ep.id)?.lastError).toMatch(/hooks\.localhost resolves to 10\.1\.2\.3, which is in a private or reserved range: 10\.0\.0\.0\/8/);
    expect(receiver.forPath('/dns')).toHaveLength(0);

    answer = '127.0.0.1';
    await eventually(() => receiver.delivered('/dns').length === 1);
    expect(receiver.forPath('/dns')[0].headers.host).toBe(`hooks.localhost:${receiver.port}`);
    expect(receiver.verifyErrors).toEqual([]);
  });
});
