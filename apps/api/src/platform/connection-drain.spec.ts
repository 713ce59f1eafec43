/**
 * Shutting down with connections open, on the real app listening on loopback: connections
 * without a request in flight do not hold the shutdown, one with a request in flight is answered.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect, type Socket } from 'node:net';
import { createApp } from '../app.factory';
import { removeDir, tempDir, testConfig, TOKENS, writeTokens } from '../../test/harness';

let dir: string;
let app: NestFastifyApplication;
let port: number;
const sockets: Socket[] = [];

beforeEach(async () => {
  dir = tempDir();
  writeTokens(dir);
  app = await createApp(testConfig(dir), { logger: false });
  await app.listen(0, '127.0.0.1');
  port = (app.getHttpServer().address() as { port: number }).port;
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  removeDir(dir);
});

/** A raw connection to the app; `closed` resolves with the instant (performance.now) it closed. */
async function rawConnection(): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  return { socket, closed };
}

describe('closing the service with connections open', () => {
  it('closes at once the connections that sent nothing or half a request, and those between requests', async () => {
    const silent = await rawConnection();
    const half = await rawConnection();
    half.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n');
    const kept = await rawConnection();
    kept.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise<void>((resolve) => kept.socket.once('data', () => resolve()));
    const started = performance.now();
    await app.close();
    const took = performance.now() - started;
    // Before, the silent and half-sent ones held it until the client gave up (Node: 60 s).
    expect(took).toBeLessThan(2_000);
    for (const c of [silent, half, kept]) expect((await c.closed) - started).toBeLessThan(2_000);
  }, 15_000);

  it('answers a request in flight (its body still arriving) before it closes its connection', async () => {
    const silent = await rawConnection();
    const uploading = await rawConnection();
    const body = JSON.stringify({ municipality: 'Utrecht', title: 'x' });
    uploading.socket.write(
      `POST /v1/contracts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKENS.advisor}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    let answer = '';
    uploading.socket.on('data', (d: Buffer) => (answer += d.toString()));
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    const closing = app.close();
    const silentClosedAt = await silent.closed;
    expect(silentClosedAt - started).toBeLessThan(1_000);
    // The one with a request in flight is still open: the rest of its body goes through and is answered.
    await new Promise((r) => setTimeout(r, 200));
    expect(uploading.socket.destroyed).toBe(false);
    uploading.socket.write(body.slice(10));
    await closing;
    await uploading.closed;
    // Refused as a body (a contract needs more), but answered, with problem+json.
    expect(answer).toMatch(/^HTTP\/1\.1 (400|503) /);
    expect(answer).toContain('application/problem+json');
  }, 20_000);
});
