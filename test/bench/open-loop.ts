/**
 * An open-loop load for the benchmarks: requests sent evenly at `rate` a second for `seconds`,
 * each one's latency counted from the moment it was due, so a slow answer delays nothing and hides
 * nothing (no coordinated omission). autocannon's own rates send each second's requests in a
 * burst at its start, so they cannot measure this.
 *
 * It speaks HTTP/1.1 over keep-alive sockets itself (at most `connections`, one request in flight
 * on each, as a browser or an HTTP agent would), answers read by their Content-Length. Node's
 * `http` client took ~200 µs of CPU a request here, against ~60 µs for autocannon's: at 2,000
 * requests a second that was a fifth of a core taken from the service on a 2-core machine.
 */
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface OpenLoopRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export interface OpenLoopResult {
  /** 2xx answers a second over the whole run */
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** the non-2xx answers by status code */
  statuses: Record<string, number>;
  errors: number;
  /**
   * How late requests were sent after they were due, p99 in ms: waiting for a free connection
   * (all busy with slower answers) and the generator's own lateness. Counted in the latencies.
   */
  sendDelayP99: number;
  /** The load generator's own event-loop delay, p99 and max in ms: its share of the latencies (the machine's, not the service's). */
  generatorDelayP99: number;
  generatorDelayMax: number;
}

interface Pending {
  dueAt: number;
}

/** One keep-alive connection: writes a request, reads its answer, then takes the next. */
class Connection {
  private readonly socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private inFlight: Pending | undefined;
  /** When the socket has failed: it takes no more requests. */
  broken = false;

  constructor(
    port: number,
    private readonly onAnswer: (c: Connection, p: Pending, status: number) => void,
    private readonly onError: (c: Connection, p: Pending | undefined) => void,
  ) {
    this.socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    const fail = () => {
      if (this.broken) return;
      this.broken = true;
      const lost = this.inFlight;
      this.inFlight = undefined;
      this.onError(this, lost);
    };
    this.socket.on('error', fail);
    this.socket.on('close', fail);
  }

  get idle(): boolean {
    return !this.broken && this.inFlight === undefined;
  }

  send(head: string, body: string | undefined, pending: Pending): void {
    this.inFlight = pending;
    this.socket.write(body === undefined ? head : head + body);
  }

  close(): void {
    this.broken = true;
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffer.toString('latin1', 0, end);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) throw new Error(`open-loop client: an answer without Content-Length: ${head.split('\r\n')[0]}`);
    const total = end + 4 + Number(length[1]);
    if (this.buffer.length < total) return;
    if (this.buffer.length > total) throw new Error('open-loop client: more bytes than the one answer asked for');
    this.buffer = Buffer.alloc(0);
    const pending = this.inFlight;
    this.inFlight = undefined;
    if (pending) this.onAnswer(this, pending, Number(head.slice(9, 12)));
  }
}

/** Sends `request()` evenly at `rate` a second for `seconds` to 127.0.0.1:`port`; `headers` go with each. */
export function openLoop(
  port: number,
  rate: number,
  seconds: number,
  connections: number,
  headers: Record<string, string>,
  request: () => OpenLoopRequest,
): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  const sendDelays: number[] = [];
  const ownDelay = monitorEventLoopDelay({ resolution: 1 });
  ownDelay.enable();
  const statuses: Record<string, number> = {};
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let settled = 0;
  const total = rate * seconds;
  const headerLines = Object.entries(headers)
    .filter(([name]) => name.toLowerCase() !== 'content-type')
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? 'application/json';
  const pool: Connection[] = [];
  /** Requests due but waiting for a free connection, oldest first. */
  const queue: { dueAt: number; req: OpenLoopRequest }[] = [];
  const started = performance.now();

  return new Promise((resolvePromise) => {
    const finish = () => {
      if (settled < total) return;
      for (const c of pool) c.close();
      ownDelay.disable();
      const percentile = (values: number[], q: number) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;
      const tenths = (value: number) => Math.round(value * 10) / 10;
      resolvePromise({
        rps: (latencies.length - non2xx) / ((performance.now() - started) / 1000),
        p50: Math.round(percentile(latencies, 0.5)),
        p99: Math.round(percentile(latencies, 0.99)),
        non2xx,
        statuses,
        errors,
        sendDelayP99: tenths(percentile(sendDelays, 0.99)),
        generatorDelayP99: tenths(ownDelay.percentile(99) / 1e6),
        generatorDelayMax: tenths(ownDelay.max / 1e6),
      });
    };
    const dispatch = (c: Connection) => {
      const next = queue.shift();
      if (!next) return;
      const { method, path, body } = next.req;
      const head =
        `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${headerLines}` +
        (body === undefined ? '\r\n' : `content-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`);
      sendDelays.push(performance.now() - next.dueAt);
      c.send(head, body, { dueAt: next.dueAt });
    };
    const onAnswer = (c: Connection, p: Pending, status: number) => {
      latencies.push(performance.now() - p.dueAt);
      if (status < 200 || status > 299) {
        non2xx++;
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      }
      settled++;
      dispatch(c);
      finish();
    };
    const onError = (c: Connection, lost: Pending | undefined) => {
      pool.splice(pool.indexOf(c), 1);
      if (lost) {
        errors++;
        settled++;
        finish();
      }
    };
    const free = (): Connection | undefined => {
      const idle = pool.find((c) => c.idle);
      if (idle) return idle;
      if (pool.length >= connections) return undefined;
      const c = new Connection(port, onAnswer, onError);
      pool.push(c);
      return c;
    };
    const tick = () => {
      // Request n is due at n / rate seconds: the first at once.
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      for (; sent < due; sent++) queue.push({ dueAt: started + (sent / rate) * 1000, req: request() });
      for (let c = queue.length > 0 ? free() : undefined; c && queue.length > 0; c = queue.length > 0 ? free() : undefined) dispatch(c);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}
