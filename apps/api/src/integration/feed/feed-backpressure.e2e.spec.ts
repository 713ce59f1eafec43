import type { PublicEventEnvelope } from '@sroi/integration-events';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { TOKENS } from '../../../test/harness';
import type { FeedStreamInfo } from './feed.service';
import { eventFrame, type FeedDropped } from './sse';
import { CountingLog, envelope, FeedClient, parseSse, startFeedApp, waitUntil, type FeedTestApp } from './testing/feed-test-app';

const utrecht = (padding = 0, o: Partial<PublicEventEnvelope> = {}) => envelope({ municipality: 'Utrecht', ...o }, padding);

interface RawStream {
  req: ClientRequest;
  res: IncomingMessage;
  /** Starts consuming; resolves with the whole body once the server ends or cuts the response. */
  readAll(): Promise<string>;
}

/** An HTTP client that does not read the response until told to (`readAll`). */
function openRaw(url: string, token: string): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent: false }, (res) => {
      resolve({
        req,
        res,
        readAll: () =>
          new Promise((done) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => done(text));
            res.on('close', () => done(text));
            res.on('error', () => done(text));
          }),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls the stream's state until `until` holds, keeping the highest buffer seen. */
async function watch(t: FeedTestApp, id: number, until: () => boolean, timeoutMs: number): Promise<{ last: FeedStreamInfo; peakSeen: number }> {
  let last: FeedStreamInfo | undefined;
  let peakSeen = 0;
  await waitUntil(
    `stream ${id} ends`,
    () => {
      const info = t.feed.streams().find((s) => s.id === id);
      if (info) {
        last = info;
        peakSeen = Math.max(peakSeen, info.bufferedBytes, info.peakBufferedBytes);
      }
      return until();
    },
    timeoutMs,
  );
  if (!last) throw new Error(`stream ${id} was never seen`);
  return { last, peakSeen };
}

const dropLine = (t: FeedTestApp, id: number) => t.logger.lines.find((l) => l.message.startsWith(`feed stream ${id} `) && l.message.includes(' dropped: '));

describe('the feed under slow clients and shutdown', () => {
  let t: FeedTestApp;
  const clients: FeedClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t.close();
  });

  it('holds a client that does not read to a bounded buffer, drops it with the reason, and it resumes without gap or duplicate', async () => {
    const limit = 8 * 1024;
    t = await startFeedApp({ maxBufferedBytes: limit, drainTimeoutMs: 400, closeGraceMs: 10_000, pageSize: 50, heartbeatMs: 100 });
    const entries = t.log.append(Array.from({ length: 6000 }, () => utrecht(2000)));
    const frameBytes = Buffer.byteLength(eventFrame(entries[entries.length - 1]));
    const total = entries.length * frameBytes;

    const slow = await openRaw(t.feedUrl, TOKENS.integrator);
    await waitUntil('the slow stream is open', () => t.feed.streams().length === 1);
    const id = t.feed.streams()[0].id;
    // A reading client on the same limits gets everything meanwhile: a small limit only holds back who does not read.
    const fast = new FeedClient(t.feedUrl, TOKENS.integrator);
    clients.push(fast);

    const { last, peakSeen } = await watch(t, id, () => dropLine(t, id) !== undefined, 20_000);
    const line = dropLine(t, id);
    expect(line?.level).toBe('warn');
    expect(line?.message).toMatch(/dropped: drain-timeout: the connection has not drained for 400 ms/);
    // bounded: never more than the limit (plus the one frame that may start on an almost-full buffer)
    expect(peakSeen).toBeLessThanOrEqual(limit + frameBytes);
    expect(last.sentEvents).toBeLessThan(entries.length);
    expect(last.sentEvents * frameBytes).toBeLessThan(total);

    await waitUntil('the reading client has everything', () => fast.events.length === entries.length, 20_000);
    expect(fast.dropped).toEqual([]);

    // The slow client reads after all: what was sent, then the reason, then the end.
    const messages = parseSse(await slow.readAll());
    const events = messages.filter((m) => m.id !== undefined);
    const final = messages[messages.length - 1];
    expect(final.event).toBe('feed-dropped');
    const dropped = JSON.parse(final.data ?? '') as FeedDropped;
    expect(dropped).toMatchObject({ reason: 'drain-timeout', lastEventId: events[events.length - 1].id });
    expect(events.map((m) => m.id)).toEqual(entries.slice(0, events.length).map((e) => String(e.position)));
    expect(events.length).toBe(last.sentEvents);

    // ... and resumes with Last-Event-ID: the rest, exactly once.
    const resumed = new FeedClient(t.feedUrl, TOKENS.integrator, dropped.lastEventId ?? undefined);
    clients.push(resumed);
    await waitUntil('the rest arrives', () => resumed.events.length === entries.length - events.length, 20_000);
    expect([...events.map((m) => m.id), ...resumed.ids()]).toEqual(entries.map((e) => String(e.position)));
    await waitUntil('the slow stream is gone', () => !t.feed.streams().some((s) => s.id === id));
  }, 60_000);

  it('destroys a client that never reads once the final message cannot be flushed either: no stream, listener or timer left', async () => {
    const limit = 8 * 1024;
    t = await startFeedApp({ maxBufferedBytes: limit, drainTimeoutMs: 300, closeGraceMs: 200, pageSize: 100 });
    const entries = t.log.append(Array.from({ length: 6000 }, () => utrecht(2000)));
    const frameBytes = Buffer.byteLength(eventFrame(entries[0]));
    const dead = await openRaw(t.feedUrl, TOKENS.integrator);
    await waitUntil('the stream is open', () => t.feed.streams().length === 1);
    const id = t.feed.streams()[0].id;
    const { peakSeen } = await watch(t, id, () => t.feed.streams().length === 0, 20_000);
    expect(peakSeen).toBeLessThanOrEqual(limit + frameBytes);
    expect(dropLine(t, id)?.message).toMatch(/dropped: drain-timeout/);
    expect(t.log.subscribed).toBe(0);
    const closed = new Promise((r) => dead.res.socket.once('close', r));
    dead.res.resume(); // the client finds its connection cut
    await closed;
  }, 60_000);

  it('drops a stream whose buffer goes past the limit (an event bigger than it); the client reconnects and loses nothing', async () => {
    t = await startFeedApp({ maxBufferedBytes: 16 * 1024, retryMs: 50 });
    t.log.append([utrecht(), utrecht(40_000, { type: 'contract.changed' }), utrecht()]);
    const c = new FeedClient(t.feedUrl, TOKENS.integrator);
    clients.push(c);
    await waitUntil('everything, across two connections', () => c.events.length === 3 && c.opens === 2);
    expect(c.dropped).toHaveLength(1);
    expect(c.dropped[0]).toMatchObject({ reason: 'buffer-limit', lastEventId: c.ids()[1] });
    expect(c.dropped[0].detail).toMatch(/exceed the limit of 16384/);
    expect(c.ids()).toEqual(t.log.read({ after: null, limit: 10 }).map((e) => String(e.position)));
    t.log.append([utrecht()]);
    await waitUntil('live', () => c.events.length === 4);
  });

  it('ends a stream with reason internal-error when the log cannot be read', async () => {
    class FailingLog extends CountingLog {
      fail = false;
      override read(q: Parameters<CountingLog['read']>[0]) {
        if (this.fail) throw new Error('disk I/O error');
        return super.read(q);
      }
    }
    const log = new FailingLog();
    t = await startFeedApp({}, log);
    log.append([utrecht()]);
    const raw = await openRaw(t.feedUrl, TOKENS.integrator);
    const body = raw.readAll();
    await waitUntil('the stream is open', () => t.feed.streams().length === 1 && t.feed.streams()[0].sentEvents === 1);
    log.fail = true;
    log.append([utrecht()]);
    const messages = parseSse(await body);
    expect(messages.filter((m) => m.id !== undefined)).toHaveLength(1);
    expect(JSON.parse(messages[messages.length - 1].data ?? '')).toMatchObject({ reason: 'internal-error', lastEventId: messages[1].id });
    expect(t.logger.lines.some((l) => l.level === 'error' && /reading the integration log failed/.test(l.message))).toBe(true);
    await waitUntil('released', () => t.feed.streams().length === 0 && log.subscribed === 0);
  });

  it('ends every stream on app.close(), even one that does not read, so shutdown does not hang', async () => {
    t = await startFeedApp({ closeGraceMs: 300, drainTimeoutMs: 60_000 });
    t.log.append(Array.from({ length: 6000 }, () => utrecht(2000)));
    t.log.append([utrecht(0, { municipality: 'Amsterdam' })]);
    const _stuck = await openRaw(t.feedUrl, TOKENS.integrator);
    const reading = await openRaw(t.feedUrl, TOKENS.integratorElsewhere);
    const readingBody = reading.readAll();
    await waitUntil('both streams are open; the stuck one is held back', () => t.feed.streams().length === 2 && t.feed.streams().some((s) => s.paused));

    const started = Date.now();
    await t.app.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(t.feed.streams()).toEqual([]);
    expect(t.log.subscribed).toBe(0);
    const messages = parseSse(await readingBody);
    expect(messages.filter((m) => m.id !== undefined)).toHaveLength(1);
    expect(messages[messages.length - 1]).toMatchObject({ event: 'feed-dropped' });
    expect(JSON.parse(messages[messages.length - 1].data ?? '')).toMatchObject({ reason: 'shutdown' });
    expect(t.logger.lines.filter((l) => / dropped: shutdown/.test(l.message))).toHaveLength(2);
  });
});
