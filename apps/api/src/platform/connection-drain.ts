import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How often, while the server closes, connections without a request in flight are looked for (ms). */
const SWEEP_MS = 50;

/**
 * While the server closes, closes every connection that has no request in flight: those between
 * two requests, and those that never sent a whole one. Node's own close (Fastify's
 * `forceCloseConnections: 'idle'`) leaves the latter open, so a client that opened a connection
 * and sent nothing or half a request (a load balancer's spare connection, a fetch aborted while
 * it connected) held the shutdown until it gave up: 4 s for undici's, up to Node's 60 s header
 * timeout for others. A request in flight is answered first, as before; its connection is closed
 * once the answer is out. Nothing is added to the requests' path: the connections are tracked as
 * they open, and looked at only while closing.
 */
export function closeUnusedConnectionsOnClose(fastify: FastifyInstance): void {
  const open = new Set<Socket>();
  fastify.server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = (): void => {
    for (const socket of open) {
      // The answer being written on the connection (Node's own test in closeIdleConnections).
      const answer = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (!answer || answer.writableFinished) socket.destroy();
    }
  };
  fastify.addHook('preClose', (done) => {
    sweep();
    sweeper = setInterval(sweep, SWEEP_MS);
    sweeper.unref();
    done();
  });
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sweeper);
    done();
  });
}
