/**
 * The hires benchmark's peer: the least an event-sourced HTTP service on this machine can do to
 * record a hire durably. A bare Fastify server (the service's own adapter and version) that takes
 * `POST /v1/contracts/:id/hires`, checks only that a bearer token is there and that the body names
 * a candidate, and appends one `HireRecorded` event of the service's shape to the contract's stream
 * in the benchmark's own store, opened exactly as the service opens it (`openEventStore` with the
 * same `SROI_DATA_DIR`: the same file, durability and group commit), with the stream's revision as
 * expectation (cached per stream, as the service caches its states). It answers
 * `{ contractId, revision, position, contributionId }` with 201.
 *
 * What the service does beyond this (authentication and scope, validation, the domain's decision,
 * Nest's pipeline, idempotency, the projections, the integration publisher, the subscriptions that
 * feed them) is what its rate falls short of this one's.
 *
 * With `FLOOR_ANSWER` (a JSON file of `{ headers, body }`, as status-floor.server.ts takes) it
 * also answers `GET /v1/contracts/:id/status` with those bytes from memory: the status read's floor
 * while hires are appended durably beside it, in the same process, as in the service.
 *
 * Started by api.bench.ts as a child process, with the service stopped: `FLOOR_PORT`,
 * `SROI_DATA_DIR`, optionally `FLOOR_ANSWER`. Prints "listening" when it is.
 */
import { eventStoreConfigFromEnv, openEventStore, WrongExpectedVersionError, type EventStore, type JsonValue } from '@sroi/event-store';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

type HireBody = Partial<Record<'candidateRef' | 'blockCode' | 'startDate' | 'hoursPerWeek' | 'permanent', JsonValue>>;

async function main(): Promise<void> {
  const store: EventStore = await openEventStore(eventStoreConfigFromEnv(process.env));
  /** The last revision of each contract stream this server has seen. */
  const revisions = new Map<string, bigint>();
  const lastRevision = async (stream: string): Promise<bigint> => {
    const known = revisions.get(stream);
    if (known !== undefined) return known;
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return last.revision;
  };

  const app = Fastify({ bodyLimit: 1024 * 1024 });
  app.post<{ Params: { id: string }; Body: HireBody }>('/v1/contracts/:id/hires', async (request, reply) => {
    if (!request.headers.authorization?.startsWith('Bearer ')) return reply.code(401).send();
    const body = request.body;
    if (typeof body?.candidateRef !== 'string') return reply.code(400).send();
    const stream = `contract-${request.params.id}`;
    const placementId = randomUUID();
    const event = {
      type: 'HireRecorded',
      data: {
        placementId,
        candidateRef: body.candidateRef,
        catalogue: { catalogueId: 'utrecht', version: '2019' },
        blockCode: body.blockCode ?? null,
        bonusCodes: [],
        startDate: body.startDate ?? null,
        endDate: null,
        hoursPerWeek: body.hoursPerWeek ?? null,
        permanent: body.permanent ?? null,
      },
      metadata: {
        schemaVersion: 1,
        actor: { subject: 'bench', role: 'advisor' },
        correlationId: randomUUID(),
        causationId: randomUUID(),
        idempotencyKey: null,
        command: 'RecordHire',
      },
    };
    // As the service: a concurrent writer makes the loser try once more on the fresh revision.
    for (let attempt = 0; ; attempt++) {
      const expected = await lastRevision(stream);
      try {
        const { nextExpectedRevision, position } = await store.appendToStream(stream, [event], { expectedRevision: expected });
        revisions.set(stream, nextExpectedRevision);
        return reply.code(201).send({ contractId: request.params.id, revision: String(nextExpectedRevision), position: String(position), contributionId: placementId });
      } catch (error) {
        revisions.delete(stream);
        if (!(error instanceof WrongExpectedVersionError) || attempt > 0) return reply.code(409).send();
      }
    }
  });
  const answerFile = process.env['FLOOR_ANSWER'];
  if (answerFile) {
    const answer = JSON.parse(readFileSync(answerFile, 'utf8')) as { headers: Record<string, string>; body: string };
    app.get('/v1/contracts/:id/status', (request, reply) => {
      if (!request.headers.authorization?.startsWith('Bearer ')) return reply.code(401).send();
      return reply.headers(answer.headers).send(answer.body);
    });
  }
  process.on('SIGTERM', () => void app.close().then(() => store.close()).then(() => process.exit(0)));
  await app.listen({ port: Number(process.env['FLOOR_PORT']), host: '127.0.0.1' });
  process.stdout.write('listening\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`hires floor: ${String(error)}\n`);
  process.exit(1);
});
