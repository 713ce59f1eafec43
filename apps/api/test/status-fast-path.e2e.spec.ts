import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GetContractStatusHandler } from '../src/contracts/contract.queries';
import { StatusFastPath } from '../src/contracts/status-fast-path';
import { StatusWarmer } from '../src/contracts/status-warmer';
import { api, contractBody, KVK_A, KVK_B, removeDir, startApp, tempDir, TOKENS, writeTokens, type Api } from './harness';

/**
 * The status read answered before Nest's route handler (StatusFastPath): it answers the common
 * read exactly as the Nest route does, and leaves every other request, errors included, to it.
 */
describe('GET /status: the fast path and the Nest route', () => {
  let dir: string;
  let app: NestFastifyApplication;
  let http: Api;
  let fast: StatusFastPath;
  let contractA: string;
  let contractB: string;

  beforeAll(async () => {
    dir = tempDir();
    writeTokens(dir);
    app = await startApp(dir);
    http = api(app);
    fast = app.get(StatusFastPath);
    contractA = (await http.post('/v1/contracts', contractBody({ contractor: { kvk: KVK_A, name: 'A B.V.' } }))).body.contractId;
    contractB = (await http.post('/v1/contracts', contractBody({ contractor: { kvk: KVK_B, name: 'B B.V.' } }))).body.contractId;
    const hire = { candidateRef: 'cand-fast-1', blockCode: 'PW', bonusCodes: [], startDate: '2023-03-01', hoursPerWeek: 36, permanent: false };
    expect((await http.post(`/v1/contracts/${contractA}/hires`, hire)).status).toBe(201);
  });

  afterAll(async () => {
    await app.close();
    removeDir(dir);
  });

  /** The request, and whether the fast path answered it. */
  async function read(path: string, token: string = TOKENS.advisor) {
    const before = fast.answered;
    const response = await http.get(path, token);
    return { response, fast: fast.answered - before };
  }

  it('answers a plain read and one with only asOf, with the body, type and headers of the Nest route', async () => {
    for (const query of ['', '?asOf=2023-12-31']) {
      const viaFast = await read(`/v1/contracts/${contractA}/status${query}`);
      // minPosition is a parameter the fast path leaves to Nest; position 0 is reached at once.
      const viaNest = await read(`/v1/contracts/${contractA}/status${query ? `${query}&` : '?'}minPosition=0`);
      expect(viaFast.fast).toBe(1);
      expect(viaNest.fast).toBe(0);
      expect(viaFast.response.status).toBe(200);
      expect(viaNest.response.status).toBe(200);
      // Byte for byte but for knownAt, which is "now" at each read.
      const withoutNow = (text: string) => text.replace(/"knownAt":"[^"]*"/, '"knownAt":"…"');
      expect(withoutNow(viaFast.response.text)).toBe(withoutNow(viaNest.response.text));
      expect(Math.abs(Date.parse(viaFast.response.body.knownAt) - Date.now())).toBeLessThan(60_000);
      expect(viaFast.response.headers['content-type']).toBe(viaNest.response.headers['content-type']);
      // The projections' progress, set by the hooks on every GET (it may move between the two reads).
      expect(viaFast.response.headers['x-projection-position']).toMatch(/^\d+$/);
      expect(viaFast.response.headers['x-correlation-id']).toMatch(/\S/);
      expect(viaFast.response.body).toMatchObject({ contractId: contractA, ...(query ? { asOf: '2023-12-31' } : {}) });
    }
    // A hire is worth something as of the end of 2023: the answer is the contract's, not an empty one.
    expect((await read(`/v1/contracts/${contractA}/status?asOf=2023-12-31`)).response.body.realisedCents).toBeGreaterThan(0);
  });

  it('a new event shows in the next read it answers', async () => {
    const before = (await read(`/v1/contracts/${contractA}/status?asOf=2023-12-31`)).response.body.realisedCents as number;
    const hire = { candidateRef: 'cand-fast-2', blockCode: 'PW', bonusCodes: [], startDate: '2023-03-01', hoursPerWeek: 36, permanent: false };
    expect((await http.post(`/v1/contracts/${contractA}/hires`, hire)).status).toBe(201);
    const after = await read(`/v1/contracts/${contractA}/status?asOf=2023-12-31`);
    expect(after.fast).toBe(1);
    expect(after.response.body.realisedCents).toBeGreaterThan(before);
  });

  it('leaves refusals to the Nest route, which answers them as problem+json', async () => {
    const cases: [path: string, token: string, status: number, code: string][] = [
      [`/v1/contracts/${contractA}/status`, 'not-a-token', 401, 'unauthorized'],
      [`/v1/contracts/${contractA}/status`, TOKENS.admin, 403, 'forbidden'],
      // An integrator of Utrecht would see the contract, but the route is not among its rights.
      [`/v1/contracts/${contractA}/status`, TOKENS.integrator, 403, 'forbidden'],
      [`/v1/contracts/${contractA}/status`, TOKENS.contractorB, 404, 'not-found'],
      [`/v1/contracts/${contractA}/status`, TOKENS.advisorElsewhere, 404, 'not-found'],
      ['/v1/contracts/no-such-contract/status', TOKENS.advisor, 404, 'not-found'],
      [`/v1/contracts/${contractA}/status?asOf=2023-02-30`, TOKENS.advisor, 400, 'validation-failed'],
      [`/v1/contracts/${contractA}/status?asOf=2023-12-31&asOf=2024-01-01`, TOKENS.advisor, 400, 'validation-failed'],
      [`/v1/contracts/${contractA}/status?colour=red`, TOKENS.advisor, 400, 'validation-failed'],
      [`/v1/contracts/${contractA}/status?knownAt=yesterday`, TOKENS.advisor, 400, 'invalid-query'],
    ];
    for (const [path, token, status, code] of cases) {
      const { response, fast: answered } = await read(path, token);
      expect({ path, token, status: response.status, code: response.body.code }).toEqual({ path, token, status, code });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answered).toBe(0);
    }
  });

  it('leaves reads with other parameters to the Nest route', async () => {
    const contributions = await read(`/v1/contracts/${contractA}/status?include=contributions`);
    expect(contributions.fast).toBe(0);
    expect(contributions.response.status).toBe(200);
    expect(contributions.response.body.contributions).toHaveLength(2);
    const knownAt = await read(`/v1/contracts/${contractB}/status?knownAt=${new Date().toISOString()}`, TOKENS.contractorB);
    expect(knownAt.fast).toBe(0);
    expect(knownAt.response.status).toBe(200);
    // The contractor's own contract is answered by the fast path too.
    expect((await read(`/v1/contracts/${contractB}/status`, TOKENS.contractorB)).fast).toBe(1);
  });

  it('other routes are not touched', async () => {
    const summary = await read(`/v1/contracts/${contractA}`);
    expect(summary.fast).toBe(0);
    expect(summary.response.status).toBe(200);
    expect(summary.response.headers['etag']).toMatch(/^"\d+"$/);
  });

  it("keeps each answer to its own state, asOf and shape: more asOf dates than it keeps per state, a new event, with and without the contributions", async () => {
    // The reference: replay computes the status after the last event from the history, without the status cache.
    const replayed = async (asOf: string) => {
      const r = await http.get(`/v1/contracts/${contractA}/replay?asOf=${asOf}`, TOKENS.auditor);
      expect(r.status).toBe(200);
      return r.body.steps[r.body.steps.length - 1].status as Record<string, unknown>;
    };
    const totalsOf = (status: Record<string, unknown>) => ({
      asOf: status['asOf'],
      realisedCents: status['realisedCents'],
      committedCents: status['committedCents'],
      byBlock: status['byBlock'],
      byCategory: status['byCategory'],
    });
    // Six dates: more than the four kept per state, so the first ones are computed again at the end.
    const dates = ['2023-04-30', '2023-06-30', '2023-08-31', '2023-10-31', '2023-12-31', '2024-02-29'];
    const check = async () => {
      const seen = new Set<number>();
      for (const asOf of [...dates, ...dates]) {
        const { response, fast: answered } = await read(`/v1/contracts/${contractA}/status?asOf=${asOf}`);
        expect(answered).toBe(1);
        expect(response.body.contributions).toBeUndefined();
        expect(totalsOf(response.body)).toEqual(totalsOf(await replayed(asOf)));
        seen.add(response.body.realisedCents as number);
      }
      // the hires' value grows month by month: a cache that mixed dates up would repeat one
      expect(seen.size).toBe(dates.length);
      const withContributions = await read(`/v1/contracts/${contractA}/status?asOf=${dates[0]}&include=contributions`);
      const again = await read(`/v1/contracts/${contractA}/status?asOf=${dates[0]}`);
      expect(withContributions.response.body.contributions.length).toBeGreaterThan(0);
      expect(again.response.body.contributions).toBeUndefined();
      expect(totalsOf(withContributions.response.body)).toEqual(totalsOf(again.response.body));
    };
    await check();
    const hire = { candidateRef: 'cand-fast-3', blockCode: 'PW', bonusCodes: [], startDate: '2023-04-01', hoursPerWeek: 20, permanent: false };
    expect((await http.post(`/v1/contracts/${contractA}/hires`, hire)).status).toBe(201);
    await check();
  });
  it("prepares today's answer of a changed contract whose status was asked for, in idle time; not of one nobody asked about", async () => {
    const warmer = app.get(StatusWarmer);
    const statuses = app.get(GetContractStatusHandler);
    await read(`/v1/contracts/${contractA}/status`);
    const unread = (await http.post('/v1/contracts', contractBody({ title: 'Nobody reads this one' }))).body.contractId as string;
    const doneBefore = warmer.queue.done;
    const computedBefore = statuses.computed;
    for (const [id, ref] of [[contractA, 'cand-warm-1'], [unread, 'cand-warm-2']]) {
      const hire = { candidateRef: ref, blockCode: 'PW', bonusCodes: [], startDate: '2023-05-01', hoursPerWeek: 32, permanent: true };
      expect((await http.post(`/v1/contracts/${id}/hires`, hire)).status).toBe(201);
    }
    // Both changes reach the queue through the store's log (the watcher), then an idle turn works them off.
    const deadline = Date.now() + 10_000;
    while (warmer.queue.done < doneBefore + 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(warmer.queue.done).toBeGreaterThanOrEqual(doneBefore + 2);
    await warmer.queue.drained();
    expect(statuses.computed).toBe(computedBefore + 1);

    // A's next read is answered from the prepared answer, which is the contract's status after the hire.
    const prepared = await read(`/v1/contracts/${contractA}/status`);
    expect(prepared.fast).toBe(1);
    expect(statuses.computed).toBe(computedBefore + 1);
    const replay = await http.get(`/v1/contracts/${contractA}/replay?asOf=${prepared.response.body.asOf}`, TOKENS.auditor);
    const last = replay.body.steps[replay.body.steps.length - 1].status;
    for (const key of ['asOf', 'realisedCents', 'committedCents', 'obligationCents', 'status', 'byBlock', 'byCategory']) expect([key, prepared.response.body[key]]).toEqual([key, last[key]]);
    expect(replay.body.steps[replay.body.steps.length - 1].type).toBe('HireRecorded');

    // The contract nobody had asked about is computed at its first read.
    expect((await read(`/v1/contracts/${unread}/status`)).response.status).toBe(200);
    expect(statuses.computed).toBe(computedBefore + 2);
  });
});
