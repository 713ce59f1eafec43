import type { PublicEventEnvelope, PublicEventType } from '@sroi/integration-events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got (whether it verified or not). */
export interface ReceivedRequest {
  path: string;
  id: string;
  timestamp: number;
  /** Date.now() on arrival. */
  at: number;
  body: string;
  headers: IncomingMessage['headers'];
  verified: boolean;
  /** What the receiver answered: a status, or 'hang' (never answered). */
  answer: number | 'hang';
}

/** How to answer the n-th request (0-based) of a path; 'hang' never answers. */
export type Responder = (request: ReceivedRequest, n: number) => number | 'hang';

/**
 * A real HTTP receiver on 127.0.0.1 that verifies every request with the `standardwebhooks`
 * package, like an integrator would, and keeps what it accepted de-duplicated by webhook-id.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly verifyErrors: string[] = [];
  private readonly secrets = new Map<string, string>();
  private readonly responders = new Map<string, Responder>();
  private readonly accepted = new Map<string, Array<{ id: string; envelope: PublicEventEnvelope }>>();
  private readonly seen = new Map<string, Set<string>>();
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | null = null;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  /** The secret a path's requests are verified with (set it before the first delivery). */
  secret(path: string, secret: string): this {
    this.secrets.set(path, secret);
    return this;
  }

  respond(path: string, responder: Responder): this {
    this.responders.set(path, responder);
    return this;
  }

  forPath(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Verified, 2xx-answered envelopes of a path, each webhook-id once, in the order first accepted. */
  delivered(path: string): PublicEventEnvelope[] {
    return (this.accepted.get(path) ?? []).map((a) => a.envelope);
  }

  /** The ids of a path's requests, consecutive repeats (retries) collapsed. */
  attemptOrder(path: string): string[] {
    const out: string[] = [];
    for (const r of this.forPath(path)) if (out[out.length - 1] !== r.id) out.push(r.id);
    return out;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string): string => String(req.headers[name] ?? '');
      const received: ReceivedRequest = {
        path,
        id: header('webhook-id'),
        timestamp: Number(header('webhook-timestamp')),
        at: Date.now(),
        body,
        headers: req.headers,
        verified: false,
        answer: 400,
      };
      const secret = this.secrets.get(path);
      try {
        if (!secret) throw new Error(`no secret for ${path}`);
        if (req.method !== 'POST') throw new Error(`method ${req.method}`);
        if (header('content-type') !== 'application/json') throw new Error(`content-type ${header('content-type')}`);
        new Webhook(secret).verify(body, { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') });
        received.verified = true;
      } catch (error) {
        this.verifyErrors.push(`${path} ${received.id}: ${(error as Error).message}`);
      }
      const n = this.forPath(path).length;
      this.requests.push(received);
      if (received.verified) received.answer = (this.responders.get(path) ?? (() => 200))(received, n);
      if (received.answer === 'hang') {
        this.hanging.add(res);
        return;
      }
      if (received.verified && received.answer >= 200 && received.answer < 300) {
        const seen = this.seen.get(path) ?? new Set<string>();
        this.seen.set(path, seen);
        if (!seen.has(received.id)) {
          seen.add(received.id);
          this.accepted.set(path, [...(this.accepted.get(path) ?? []), { id: received.id, envelope: JSON.parse(body) as PublicEventEnvelope }]);
        }
      }
      if (received.answer >= 300 && received.answer < 400) res.setHeader('location', '/redirected');
      res.statusCode = received.answer;
      res.end(received.answer >= 400 ? `nope ${received.answer}` : '');
    });
  }
}

let counter = 0;

/** A public event envelope for tests (unique, stable id per call). */
export function envelope(municipality: string, type: PublicEventType = 'contribution.recorded', data: Record<string, unknown> = {}): PublicEventEnvelope {
  counter += 1;
  const n = counter;
  return {
    id: `00000000-0000-5000-8000-${String(n).padStart(12, '0')}`,
    type,
    schemaVersion: 1,
    sourcePosition: String(n * 10),
    occurredAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
    contractId: `contract-${n % 3}`,
    municipality,
    contractor: { kvk: '12345678', name: 'Lichtwerk Utrecht B.V.' },
    data: { n, note: 'één € — ünïcödé', ...data },
  };
}

/**
 * Polls until `fn` returns (or resolves to) a truthy value, or throws after `timeoutMs`. The default
 * is generous on purpose: it only bounds how long a broken test hangs, and a loaded CI machine
 * (many suites in parallel on few cores) can be slow; a passing wait returns as soon as it can.
 */
export async function eventually<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
