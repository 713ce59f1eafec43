import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openLoop } from '../bench/open-loop';

/**
 * The benchmarks' open-loop client against a real HTTP server on loopback: what it reports is
 * what the server did, and a stall of the server shows in the latencies of every request that
 * fell due meanwhile (no coordinated omission).
 */
describe('openLoop (bench:api’s even-rate client)', () => {
  let server: http.Server;
  let port: number;
  const seen: { method?: string; url?: string; authorization?: string; contentType?: string; body: string }[] = [];
  /** The server answers nothing until this instant (performance.now()). */
  let stalledUntil = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
        const answer = () => {
          const status = req.url?.endsWith('/missing') ? 404 : 201;
          const text = JSON.stringify({ ok: status === 201 });
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
        };
        const wait = stalledUntil - performance.now();
        if (wait > 0) setTimeout(answer, wait);
        else answer();
      });
    });
    server.keepAliveTimeout = 10_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
    stalledUntil = 0;
  });

  it('sends rate × seconds requests with their method, path, headers and body, and counts the answers by status', async () => {
    let n = 0;
    const result = await openLoop(port, 200, 1, 10, { authorization: 'Bearer t', 'content-type': 'application/json' }, () => {
      n++;
      return n % 10 === 0 ? { method: 'GET', path: '/missing' } : { method: 'POST', path: `/things/${n}`, body: JSON.stringify({ n, text: 'één' }) };
    });
    expect(seen).toHaveLength(200);
    expect(result).toMatchObject({ non2xx: 20, statuses: { '404': 20 }, errors: 0 });
    const post = seen.find((s) => s.url === '/things/1');
    expect(post).toEqual({ method: 'POST', url: '/things/1', authorization: 'Bearer t', contentType: 'application/json', body: JSON.stringify({ n: 1, text: 'één' }) });
    expect(seen.find((s) => s.url === '/missing')).toMatchObject({ method: 'GET', authorization: 'Bearer t', contentType: undefined, body: '' });
    expect(result.rps).toBeGreaterThan(150);
    expect(result.rps).toBeLessThanOrEqual(200);
  });

  it('counts each latency from the moment the request was due: a stall of the server shows in every request due meanwhile', async () => {
    // 100 a second for 2 s, on one connection; the server answers nothing from 0.5 s to 0.8 s.
    const started = performance.now();
    setTimeout(() => (stalledUntil = started + 800), 500);
    const result = await openLoop(port, 100, 2, 1, { authorization: 'Bearer t' }, () => ({ method: 'GET', path: '/ok' }));
    expect(seen).toHaveLength(200);
    expect(result.errors).toBe(0);
    // About 30 requests fell due in the stall, waiting 0–300 ms: well over 1 % of them, so p99 is
    // one of the first (~280 ms). A client that counted from the moment it sent would have one slow
    // request (the one in flight), 0.5 %, and a p99 of a few ms.
    expect(result.p99).toBeGreaterThanOrEqual(200);
    expect(result.p50).toBeLessThan(50);
  });
});
