import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { utrecht2019 } from '@sroi/domain';
import { SqliteEventStore } from '@sroi/event-store';
import { join } from 'node:path';
import { api, contractBody, removeDir, startApp, tempDir, writeTokens, type Api } from './harness';

/**
 * A contract whose stored history no valuation accepts (an earlier version let a migration map a
 * hire block to a purchase block, and a hire's end run into it): its own figures cannot be
 * answered, but the portfolio of its municipality, and every other contract, still can.
 */
describe('a contract whose figures cannot be computed', () => {
  let dir: string;
  let app: NestFastifyApplication;
  let http: Api;

  beforeAll(async () => {
    dir = tempDir();
    writeTokens(dir);
    app = await startApp(dir);
    http = api(app);
  });

  afterAll(async () => {
    await app.close();
    removeDir(dir);
  });

  it('is listed in the portfolio without figures; its summary is 500 figures-unavailable; the others are untouched', async () => {
    const good = (await http.post('/v1/contracts', contractBody({ tenderReference: 'UTR-GOOD' })).expect(201)).body as { contractId: string };
    const broken = (
      await http.post('/v1/contracts', contractBody({ tenderReference: 'UTR-BROKEN', startDate: '2018-01-01', endDate: '2021-12-31', catalogue: { id: 'utrecht', version: '2015' } })).expect(201)
    ).body as { contractId: string };
    const hire = await http
      .post(`/v1/contracts/${broken.contractId}/hires`, { candidateRef: 'UB-1', blockCode: 'NUG', startDate: '2019-01-01', endDate: '2019-06-30', hoursPerWeek: 36, permanent: false })
      .expect(201);

    // What an earlier version stored: the migration's mapping NUG → SOCIAL-PURCHASE, then the hire's end past it.
    const other = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
    const metadata = { schemaVersion: 1, actor: { subject: 'anna.advisor', role: 'advisor' } };
    const appended = await other.appendToStream(
      `contract-${broken.contractId}`,
      [
        {
          type: 'ContractCatalogueMigrated',
          data: { from: { catalogueId: 'utrecht', version: '2015' }, catalogue: utrecht2019, effectiveDate: '2020-01-01', blockMapping: { NUG: 'SOCIAL-PURCHASE' }, explicitVersion: false, reason: 'x' },
          metadata,
        },
        { type: 'PlacementEnded', data: { placementId: hire.body.contributionId, endDate: '2020-06-30', reason: 'stayed longer' }, metadata },
      ] as never,
      { expectedRevision: 1n },
    );
    await other.close();

    const portfolio = await http.get(`/v1/contracts?minPosition=${appended.position}&pageSize=200`).expect(200);
    const byId = new Map((portfolio.body.items as { contractId: string; realisedCents: number | null; status: string | null }[]).map((i) => [i.contractId, i]));
    expect(byId.get(broken.contractId)).toMatchObject({ realisedCents: null, status: null });
    expect(byId.get(good.contractId)).toMatchObject({ status: expect.any(String), realisedCents: 0 });

    const summary = await http.get(`/v1/contracts/${broken.contractId}`);
    expect(summary.status).toBe(500);
    expect(summary.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(summary.body).toMatchObject({ code: 'figures-unavailable', contractId: broken.contractId, revision: 3 });
    expect(summary.body.detail).toContain('SOCIAL-PURCHASE');
    // Asked again: the same answer, from what was remembered for the revision.
    expect((await http.get(`/v1/contracts/${broken.contractId}`)).body).toMatchObject({ code: 'figures-unavailable' });
    await http.get(`/v1/contracts/${good.contractId}`).expect(200);
    // Filters and sorting on figures still run; the broken contract has no status to match.
    const behind = await http.get('/v1/contracts?status=behind&sort=progress').expect(200);
    expect(behind.body.items.map((i: { contractId: string }) => i.contractId)).not.toContain(broken.contractId);
  });
});
