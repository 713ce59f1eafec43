import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiConfig } from '../config/api-config';
import { ConfigModule } from '../config/config.module';
import { EventStoreModule } from '../event-store/event-store.module';
import { ProjectionHealth } from './projection-health';
import { ProjectionsModule } from './projections.module';
import { ContractReadModels, ProjectionProgress } from './read-models';
import { Ledger, openStore, seedPortfolio, tempDir, TODAY } from './testing/ledger';
import { eventually } from './testing/read-models.fixture';

function appModule(dataDir: string) {
  const config = ApiConfig.fromEnv({ SROI_DATA_DIR: dataDir, SROI_SQLITE_SYNCHRONOUS: 'OFF', PORT: '0' });
  @Module({ imports: [ConfigModule.forRoot(config), EventStoreModule, ProjectionsModule] })
  class TestAppModule {}
  return TestAppModule;
}

describe('ProjectionsModule', () => {
  let tmp: ReturnType<typeof tempDir>;
  let app: INestApplicationContext | undefined;

  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    await app?.close();
    app = undefined;
    tmp.remove();
  });

  it('provides the read models, progress and health; runs on bootstrap and stops on shutdown', async () => {
    const seeding = openStore(tmp.dir);
    await seedPortfolio(new Ledger(seeding));
    const head = (await seeding.headPosition()) as bigint;
    await seeding.close();

    app = await NestFactory.createApplicationContext(appModule(tmp.dir), { logger: false });
    await app.init();
    const progress = app.get(ProjectionProgress);
    const readModels = app.get(ContractReadModels);
    const health = app.get(ProjectionHealth);
    expect(await progress.waitFor(head, 10_000)).toBe(true);
    await eventually(() => health.isReady());
    expect(health.report()).toMatchObject({ state: 'live', caughtUp: true, ready: true, lastAppliedPosition: String(head), lastError: null });
    expect((await readModels.summary('c-1', TODAY))?.status).toBe('on-track');
    expect((await readModels.portfolio({ page: 1, pageSize: 10, municipality: 'Amersfoort' }, TODAY)).total).toBe(2);

    await app.close();
    app = undefined;
    expect(health.report().state).toBe('stopped');
    expect(health.isReady()).toBe(false);

    // A new app on the same folder resumes from the checkpoint: nothing is applied again.
    app = await NestFactory.createApplicationContext(appModule(tmp.dir), { logger: false });
    await app.init();
    const again = app.get(ProjectionHealth);
    await eventually(() => again.isCaughtUp());
    expect(again.report()).toMatchObject({ appliedEvents: 0, lastAppliedPosition: String(head) });
  });
});
