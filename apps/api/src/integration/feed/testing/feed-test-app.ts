import { Module, type DynamicModule, type LoggerService } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { PUBLIC_EVENT_TYPES, type PublicEventEnvelope } from '@sroi/integration-events';
import { EventSource } from 'eventsource';
import type { Socket } from 'node:net';
import { testConfig, tempDir, removeDir, writeTokens } from '../../../../test/harness';
import { AuthModule } from '../../../auth/auth.module';
import { ConfigModule } from '../../../config/config.module';
import { IdempotencyModule } from '../../../idempotency/idempotency.module';
import { PlatformModule } from '../../../platform/platform.module';
import { createValidationPipe } from '../../../platform/validation';
import { ProjectionProgress } from '../../../projections/read-models';
import { ProjectionPositionHooks } from '../../../read-side/projection-position.hooks';
import { IntegrationLog } from '../../integration-log';
import { InMemoryIntegrationLog } from '../../testing/in-memory-integration-log';
import { FeedModule } from '../feed.module';
import type { FeedSettings } from '../feed.options';
import { FeedService } from '../feed.service';
import { FEED_DROPPED_EVENT, type FeedDropped } from '../sse';

/** An in-memory log that counts its listeners (to see that streams unsubscribe). */
export class CountingLog extends InMemoryIntegrationLog {
  subscribed = 0;

  override onAppended(listener: () => void): () => void {
    const off = super.onAppended(listener);
    this.subscribed++;
    let done = false;
    return () => {
      if (!done) this.subscribed--;
      done = true;
      off();
    };
  }
}

let counter = 0;

/** A public event envelope; `padding` makes it bigger. */
export function envelope(overrides: Partial<PublicEventEnvelope> = {}, padding = 0): PublicEventEnvelope {
  counter++;
  return {
    id: `00000000-0000-5000-8000-${String(counter).padStart(12, '0')}`,
    type: 'contribution.recorded',
    schemaVersion: 1,
    sourcePosition: String(counter),
    occurredAt: '2024-03-01T12:00:00.000Z',
    contractId: 'contract-u1',
    municipality: 'Utrecht',
    contractor: { kvk: '12345678', name: 'Lichtwerk Utrecht B.V.' },
    data: padding > 0 ? { note: 'x'.repeat(padding) } : {},
    ...overrides,
  };
}

export interface LogLine {
  level: string;
  message: string;
}

/** Keeps what the app logs, so tests can see the server-side reasons. */
export class CapturingLogger implements LoggerService {
  readonly lines: LogLine[] = [];
  log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  debug(message: unknown): void {
    this.lines.push({ level: 'debug', message: String(message) });
  }
  verbose(message: unknown): void {
    this.lines.push({ level: 'verbose', message: String(message) });
  }
}

@Module({})
class TestIntegrationModule {}

@Module({})
class FeedTestAppModule {}

export interface FeedTestApp {
  app: NestFastifyApplication;
  /** http://127.0.0.1:port/v1/integration/feed */
  feedUrl: string;
  baseUrl: string;
  log: CountingLog;
  feed: FeedService;
  logger: CapturingLogger;
  /** Server-side sockets, to cut connections as a network failure would. */
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/**
 * The feed as the service runs it, on a real port: Fastify with the app's adapter options, the
 * token guard, the problem filter, the validation pipe, the projection position hooks (with a stub
 * ProjectionProgress), the idempotency guard and an in-memory IntegrationLog.
 */
export async function startFeedApp(settings: Partial<FeedSettings> = {}, log: CountingLog = new CountingLog()): Promise<FeedTestApp> {
  const dir = tempDir();
  writeTokens(dir);
  const progress: ProjectionProgress = { lastAppliedPosition: () => 7n, waitFor: () => Promise.resolve(true) };
  const integration: DynamicModule = {
    module: TestIntegrationModule,
    global: true,
    providers: [
      { provide: IntegrationLog, useValue: log },
      { provide: ProjectionProgress, useValue: progress },
    ],
    exports: [IntegrationLog, ProjectionProgress],
  };
  const root: DynamicModule = {
    module: FeedTestAppModule,
    imports: [ConfigModule.forRoot(testConfig(dir)), PlatformModule, AuthModule, IdempotencyModule, integration, FeedModule.forRoot(settings)],
    providers: [ProjectionPositionHooks],
  };
  const logger = new CapturingLogger();
  const app = await NestFactory.create<NestFastifyApplication>(root, new FastifyAdapter({ bodyLimit: 1024 * 1024, return503OnClosing: true }), { logger, abortOnError: false });
  app.useGlobalPipes(createValidationPipe());
  const sockets = new Set<Socket>();
  app.getHttpServer().on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('not listening on a port');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  let closed = false;
  return {
    app,
    baseUrl,
    feedUrl: `${baseUrl}/v1/integration/feed`,
    log,
    feed: app.get(FeedService),
    logger,
    sockets,
    close: async () => {
      if (closed) return;
      closed = true;
      // undici (fetch, so EventSource) may open a spare connection that it keeps, idle and without
      // a request, for its keep-alive time (4 s): not the feed's, so not waited for here.
      if (app.get(FeedService).streams().length === 0) for (const s of sockets) s.destroy();
      await app.close();
      removeDir(dir);
    },
  };
}

export interface ReceivedEvent {
  id: string;
  type: string;
  data: string;
}

/** A real EventSource (the `eventsource` package) with a bearer token. */
export class FeedClient {
  readonly events: ReceivedEvent[] = [];
  readonly dropped: FeedDropped[] = [];
  readonly errors: Array<{ code?: number; message?: string }> = [];
  opens = 0;
  readonly source: EventSource;

  constructor(url: string, token: string, lastEventId?: string) {
    const initial: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (lastEventId !== undefined) initial['Last-Event-ID'] = lastEventId;
    this.source = new EventSource(url, {
      // The client's own Last-Event-ID (on reconnection) comes after, so it wins.
      fetch: (input, init) => fetch(input, { ...init, headers: { ...initial, ...(init?.headers as Record<string, string> | undefined) } }),
    });
    const onEvent = (e: MessageEvent) => this.events.push({ id: e.lastEventId, type: e.type, data: String(e.data) });
    for (const type of PUBLIC_EVENT_TYPES) this.source.addEventListener(type, onEvent);
    this.source.addEventListener(FEED_DROPPED_EVENT, (e) => this.dropped.push(JSON.parse(e.data) as FeedDropped));
    this.source.addEventListener('open', () => this.opens++);
    this.source.addEventListener('error', (e) => this.errors.push({ code: e.code, message: e.message }));
  }

  ids(): string[] {
    return this.events.map((e) => e.id);
  }

  close(): void {
    this.source.close();
  }
}

export async function waitUntil(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

/** A plain parser of a complete `text/event-stream` text, for the raw-socket tests. */
export function parseSse(text: string): SseMessage[] {
  const out: SseMessage[] = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    const m: SseMessage = { comments: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) m.comments.push(line.slice(1).trim());
      else {
        const i = line.indexOf(':');
        const [field, value] = i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1).replace(/^ /, '')];
        if (field === 'id' || field === 'event' || field === 'data' || field === 'retry') m[field] = value;
      }
    }
    out.push(m);
  }
  return out;
}
