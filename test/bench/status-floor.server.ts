/**
 * The status benchmark's peer: the least an HTTP service on this machine can do for a status read.
 * A bare Fastify server (the service's own adapter and version) that answers
 * `GET /v1/contracts/:id/status` with bytes captured from the real service (the same headers and
 * body), from memory, after checking only that a bearer token is there. Whatever the service does
 * beyond this (authentication, the contract's state, the cached answer, Nest's hooks, the
 * projections' position) is what its rate falls short of this one's.
 *
 * Started by api.bench.ts as a child process: `FLOOR_PORT` and `FLOOR_ANSWER` (a JSON file of
 * `{ headers, body }`). Prints "listening" when it is.
 */
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

interface CapturedAnswer {
  headers: Record<string, string>;
  body: string;
}

const answer = JSON.parse(readFileSync(process.env['FLOOR_ANSWER'] ?? '', 'utf8')) as CapturedAnswer;
const app = Fastify();
app.get('/v1/contracts/:id/status', (request, reply) => {
  if (!request.headers.authorization?.startsWith('Bearer ')) return reply.code(401).send();
  return reply.headers(answer.headers).send(answer.body);
});
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
app.listen({ port: Number(process.env['FLOOR_PORT']), host: '127.0.0.1' }).then(
  () => process.stdout.write('listening\n'),
  (error: unknown) => {
    process.stderr.write(`status floor: ${String(error)}\n`);
    process.exit(1);
  },
);
