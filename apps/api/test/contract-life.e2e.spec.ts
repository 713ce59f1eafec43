import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { api, contractBody, KVK_A, removeDir, startApp, tempDir, TOKENS, writeTokens, type Api } from './harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a contract through the API', () => {
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

  it('lives from award to met: register, hires, purchase, verification, close', async () => {
    const reg = await http.post('/v1/contracts', contractBody({ title: 'Kerstmarkt', contractValueCents: 50_000_000, startDate: '2023-01-01', endDate: '2023-12-31' }));
    expect(reg.status).toBe(201);
    expect(reg.body).toEqual({ contractId: expect.any(String), revision: 0, position: expect.stringMatching(/^\d+$/) });
    const id = reg.body.contractId as string;

    const hire = await http.post(`/v1/contracts/${id}/hires`, { candidateRef: 'CAND-1', blockCode: 'BA', startDate: '2023-02-01', hoursPerWeek: 36, permanent: false }, TOKENS.contractorA);
    expect(hire.status).toBe(201);
    expect(hire.body).toMatchObject({ contractId: id, revision: 1, contributionId: expect.any(String) });
    const placementId = hire.body.contributionId as string;

    const change = await http.post(`/v1/contracts/${id}/hires/${placementId}/changes`, { effectiveDate: '2023-03-01', hoursPerWeek: 24 }, TOKENS.contractorA);
    expect(change.status).toBe(201);
    const end = await http.post(`/v1/contracts/${id}/hires/${placementId}/end`, { endDate: '2023-04-30', reason: 'moved on' }, TOKENS.contractorA);
    expect(end.status).toBe(200);

    const purchase = await http.post(
      `/v1/contracts/${id}/purchases`,
      { supplier: { name: 'Reinaerde' }, invoiceReference: 'REI-2023-001', amountExclVatCents: 2_000_000, date: '2023-05-15', blockCode: 'SOCIAL-PURCHASE' },
      TOKENS.contractorA,
    );
    expect(purchase.status).toBe(201);
    const purchaseId = purchase.body.contributionId as string;

    const before = await http.get(`/v1/contracts/${id}/status?asOf=2023-05-14`);
    expect(before.status).toBe(200);
    expect(before.body.status).not.toBe('met');
    expect(before.body.realisedCents).toBeLessThan(before.body.obligationCents);

    const verify = await http.post(`/v1/contracts/${id}/contributions/${purchaseId}/verification`, { verdict: 'verified', note: 'invoice seen' });
    expect(verify.status).toBe(201);

    const status = await http.get(`/v1/contracts/${id}/status?asOf=2023-06-30`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      contractId: id,
      asOf: '2023-06-30',
      catalogue: { id: 'utrecht', version: '2019' },
      obligationCents: 2_500_000,
      verifiedCents: 2_000_000,
      awaitingAgreement: 0,
      status: 'met',
    });
    expect(status.body.realisedCents).toBeGreaterThan(2_500_000);
    expect(status.body.byCategory.purchase.realisedCents).toBe(2_000_000);
    expect(status.body.byBlock.map((b: { blockCode: string }) => b.blockCode).sort()).toEqual(['BA', 'SOCIAL-PURCHASE']);
    // The per-contribution list only on request: the default answer stays small for large contracts.
    expect(status.body).not.toHaveProperty('contributions');
    const detailed = await http.get(`/v1/contracts/${id}/status?asOf=2023-06-30&include=contributions`);
    expect(detailed.status).toBe(200);
    expect(detailed.body.contributions.map((c: { contributionId: string }) => c.contributionId)).toContain(purchaseId);
    expect({ ...detailed.body, contributions: undefined, knownAt: undefined }).toEqual({ ...status.body, contributions: undefined, knownAt: undefined });
    expect((await http.get(`/v1/contracts/${id}/status?include=everything`)).status).toBe(400);
    const past = await http.get(`/v1/contracts/${id}/status?asOf=2023-06-30&knownAt=${encodeURIComponent(new Date(Date.now() - 1).toISOString())}`);
    expect(past.status).toBe(200);
    expect(past.body).not.toHaveProperty('contributions');

    const close = await http.post(`/v1/contracts/${id}/close`, { reason: 'final report accepted' });
    expect(close.status).toBe(200);
    const refused = await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'X' }, invoiceReference: 'R', amountExclVatCents: 1, date: '2023-06-01', blockCode: 'SOCIAL-PURCHASE' });
    expect(refused.status).toBe(422);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 422, code: 'contract-closed' });

    // the read model reaches the last write
    const summary = await http.get(`/v1/contracts/${id}?minPosition=${close.body.position}`);
    expect(summary.status).toBe(200);
    expect(summary.headers['x-projection-caught-up']).toBe('true');
    expect(BigInt(summary.headers['x-projection-position'])).toBeGreaterThanOrEqual(BigInt(close.body.position));
    expect(summary.headers['etag']).toBe(`"${close.body.revision}"`);
    expect(summary.body).toMatchObject({ contractId: id, revision: close.body.revision, closed: true, status: 'met', contractor: { kvk: KVK_A } });
    const notModified = await http.get(`/v1/contracts/${id}`).set('If-None-Match', `"${close.body.revision}"`);
    expect(notModified.status).toBe(304);
    // If-None-Match compares weakly, takes a list, and * (RFC 9110 §13.1.2)
    for (const tag of [`W/"${close.body.revision}"`, `"0", "${close.body.revision}"`, '*']) {
      expect((await http.get(`/v1/contracts/${id}`).set('If-None-Match', tag)).status).toBe(304);
    }
    expect((await http.get(`/v1/contracts/${id}`).set('If-None-Match', '"0", W/"1"')).status).toBe(200);

    const portfolio = await http.get(`/v1/contracts?status=met&minPosition=${close.body.position}`);
    expect(portfolio.status).toBe(200);
    expect(portfolio.body.items.map((s: { contractId: string }) => s.contractId)).toContain(id);
  });

  it('values the worked example of RULES.md: 1,000,000 at 5%, Participatiewet 24 h/week for 181 days = 13,223.74', async () => {
    const reg = await http.post('/v1/contracts', contractBody({ contractValueCents: 100_000_000, sroiPercentage: 5 }));
    const id = reg.body.contractId as string;
    const hire = await http.post(`/v1/contracts/${id}/hires`, { candidateRef: 'PW-0001', blockCode: 'PW', bonusCodes: [], startDate: '2023-01-01', endDate: '2023-06-30', hoursPerWeek: 24, permanent: false });
    expect(hire.status).toBe(201);
    const status = await http.get(`/v1/contracts/${id}/status?asOf=2023-06-30`);
    expect(status.body).toMatchObject({ obligationCents: 5_000_000, realisedCents: 1_322_374, committedCents: 1_322_374, status: 'on-track' });
    const later = await http.get(`/v1/contracts/${id}/status?asOf=2024-12-31`);
    expect(later.body).toMatchObject({ realisedCents: 1_322_374, status: 'behind' });
    const after = await http.get(`/v1/contracts/${id}/status?asOf=2025-01-01`);
    expect(after.body.status).toBe('not-met');
    const early = await http.get(`/v1/contracts/${id}/status?asOf=2023-01-31`);
    expect(early.body.realisedCents).toBe(Math.round((4_000_000 * 24) / 36 / 365 * 31));
  });

  it('answers the status as of past dates and as known at past instants', async () => {
    const reg = await http.post('/v1/contracts', contractBody());
    const id = reg.body.contractId as string;
    await sleep(5);
    const first = await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde' }, invoiceReference: 'A', amountExclVatCents: 1_000_000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE' });
    await sleep(5);
    await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde' }, invoiceReference: 'B', amountExclVatCents: 2_000_000, date: '2023-02-01', blockCode: 'SOCIAL-PURCHASE' });
    await sleep(5);
    await http.post(`/v1/contracts/${id}/contributions/${first.body.contributionId}/withdrawal`, { reason: 'recorded on the wrong contract' });
    const history = await http.get(`/v1/contracts/${id}/history`, TOKENS.auditor);
    const at = history.body.events.map((e: { recordedAt: string }) => e.recordedAt) as string[];
    expect(at).toHaveLength(4);

    // now: only the second purchase counts
    expect((await http.get(`/v1/contracts/${id}/status?asOf=2023-12-31`)).body.realisedCents).toBe(2_000_000);
    // as known right after the first purchase: only the first counts
    expect((await http.get(`/v1/contracts/${id}/status?asOf=2023-12-31&knownAt=${at[1]}`)).body).toMatchObject({ realisedCents: 1_000_000, knownAt: at[1] });
    // as known before the withdrawal: both count; on 2023-02-15 only the February one
    expect((await http.get(`/v1/contracts/${id}/status?asOf=2023-12-31&knownAt=${at[2]}`)).body.realisedCents).toBe(3_000_000);
    expect((await http.get(`/v1/contracts/${id}/status?asOf=2023-02-15&knownAt=${at[2]}`)).body.realisedCents).toBe(2_000_000);
    // an instant with an offset is read as UTC
    const plusOne = new Date(Date.parse(at[1]) + 3_600_000).toISOString().replace('Z', '+01:00').replace(/\.\d+/, (m) => m);
    expect((await http.get(`/v1/contracts/${id}/status?asOf=2023-12-31&knownAt=${encodeURIComponent(plusOne)}`)).body.realisedCents).toBe(1_000_000);
    // before the registration was recorded the contract was not known
    const before = await http.get(`/v1/contracts/${id}/status?knownAt=2020-01-01T00:00:00Z`);
    expect(before.status).toBe(404);
    expect(before.body.code).toBe('not-known-at');
  });

  it('shows a catalogue migration 2015 → 2019 in the audit trail, with actor and valuation effect', async () => {
    const reg = await http.post(
      '/v1/contracts',
      contractBody({ startDate: '2019-01-01', endDate: '2021-12-31', contractValueCents: 40_000_000, catalogue: { id: 'utrecht', version: '2015' } }),
      TOKENS.advisor,
      { 'X-Correlation-Id': 'corr-migration-1' },
    );
    const id = reg.body.contractId as string;
    await http.post(`/v1/contracts/${id}/hires`, { candidateRef: 'WW-17', blockCode: 'WW-GT1', startDate: '2019-02-01', hoursPerWeek: 36, permanent: false }, TOKENS.contractorA);
    await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde' }, invoiceReference: 'R-1', amountExclVatCents: 300_000, date: '2019-11-14', blockCode: 'SOCIAL' });

    const unmapped = await http.post(`/v1/contracts/${id}/catalogue-migrations`, { catalogue: { id: 'utrecht', version: '2019' }, effectiveDate: '2019-10-01', reason: 'simplified model' });
    expect(unmapped.status).toBe(422);
    expect(unmapped.body.code).toBe('unmapped-blocks');

    const migrated = await http.post(`/v1/contracts/${id}/catalogue-migrations`, {
      catalogue: { id: 'utrecht', version: '2019' },
      effectiveDate: '2019-10-01',
      blockMapping: { SOCIAL: 'SOCIAL-PURCHASE' },
      reason: 'simplified model',
    });
    expect(migrated.status).toBe(201);

    const history = await http.get(`/v1/contracts/${id}/history?asOf=2020-12-31`, TOKENS.auditor);
    expect(history.status).toBe(200);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const events = history.body.events as Array<Record<string, any>>;
    expect(events.map((e) => e.type)).toEqual(['ContractRegistered', 'HireRecorded', 'PurchaseRecorded', 'ContractCatalogueMigrated']);
    expect(events[0]).toMatchObject({ revision: 0, actor: { subject: 'anna.advisor', role: 'advisor' }, correlationId: 'corr-migration-1', catalogue: { id: 'utrecht', version: '2015' } });
    expect(events[1].actor).toEqual({ subject: 'carla.contractor', role: 'contractor' });
    expect(events[1].effect.realisedCents).toBeGreaterThan(0);
    expect(typeof events[1].position).toBe('string');
    expect(events[1].recordedAt).toMatch(/Z$/);
    const migration = events[3];
    expect(migration).toMatchObject({ revision: 3, type: 'ContractCatalogueMigrated', catalogue: { id: 'utrecht', version: '2019' } });
    expect(migration.data.blockMapping).toMatchObject({ SOCIAL: 'SOCIAL-PURCHASE', 'WW-GT1': 'WW' });
    // the WW days from 2019-10-01 move to the 2019 WW block (same value), the purchase to SOCIAL-PURCHASE
    const codes = migration.lines.map((l: { version: string; blockCode: string }) => `${l.version}/${l.blockCode}`);
    expect(codes).toEqual(expect.arrayContaining(['2015/SOCIAL', '2019/SOCIAL-PURCHASE', '2015/WW-GT1', '2019/WW']));
    expect(migration.causationId).toEqual(expect.any(String));

    const status = await http.get(`/v1/contracts/${id}/status?asOf=2020-12-31`);
    expect(status.body.catalogue).toEqual({ id: 'utrecht', version: '2019' });
  });

  it('replays the history up to a revision', async () => {
    const reg = await http.post('/v1/contracts', contractBody());
    const id = reg.body.contractId as string;
    await http.post(`/v1/contracts/${id}/hires`, { candidateRef: 'PW-2', blockCode: 'PW', startDate: '2023-01-01', endDate: '2023-06-30', hoursPerWeek: 24, permanent: false });
    await http.post(`/v1/contracts/${id}/purchases`, { supplier: { name: 'Reinaerde' }, invoiceReference: 'R-9', amountExclVatCents: 100_000, date: '2023-03-01', blockCode: 'SOCIAL-PURCHASE' });
    const all = await http.get(`/v1/contracts/${id}/replay?asOf=2023-06-30`, TOKENS.auditor);
    expect(all.status).toBe(200);
    expect(all.body.steps.map((s: { revision: number }) => s.revision)).toEqual([0, 1, 2]);
    expect(all.body.steps[1].status.realisedCents).toBe(1_322_374);
    expect(all.body.steps[2].status.realisedCents).toBe(1_422_374);
    const upTo = await http.get(`/v1/contracts/${id}/replay?toRevision=1&asOf=2023-06-30`, TOKENS.auditor);
    expect(upTo.body.toRevision).toBe(1);
    expect(upTo.body.steps).toHaveLength(2);
    expect(Object.keys(upTo.body.state.contributions)).toHaveLength(1);
    const beyond = await http.get(`/v1/contracts/${id}/replay?toRevision=9`, TOKENS.auditor);
    expect(beyond.status).toBe(400);
    const contractor = await http.get(`/v1/contracts/${id}/replay`, TOKENS.contractorA);
    expect(contractor.status).toBe(403);
  });
});
