import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * The dependency direction is enforced by lint, not by convention. Probe files are saved in the
 * projects named (the Nx rule reads the project graph, which knows only files on disk), the real
 * ESLint CLI lints them with the workspace's config, and the probes are removed again.
 */
const root = join(__dirname, '..', '..');
const eslintBin = join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
/** Nx's CLI, as its package names it. */
const nxBin = ((): string => {
  const manifest = require.resolve('nx/package.json', { paths: [root] });
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  return join(dirname(manifest), typeof bin === 'string' ? bin : bin['nx']);
})();
const BOUNDARY_RULES = ['@nx/enforce-module-boundaries', 'no-restricted-imports'];

const probes = {
  domainFramework: ['libs/domain/src', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n"],
  domainIo: ['libs/domain/src', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
  domainStore: ['libs/domain/src', "import { SqliteEventStore } from '@sroi/event-store';\nexport const x = SqliteEventStore;\n"],
  storeOnDomain: ['libs/event-store/src', "import * as domain from '@sroi/domain';\nexport const x = domain;\n"],
  appOnStore: ['apps/cli/src', "import * as store from '@sroi/event-store';\nexport const x = store;\n"],
} as const;
type Probe = keyof typeof probes;

const errors = new Map<Probe, string[]>();

beforeAll(() => {
  const files = new Map<string, Probe>();
  for (const [name, [folder, code]] of Object.entries(probes) as [Probe, readonly [string, string]][]) {
    const file = join(root, folder, `boundary-probe-${name}-${process.pid}.ts`);
    writeFileSync(file, code);
    files.set(file, name);
  }
  try {
    const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
    // The Nx rule reads the cached project graph and skips itself when there is none (a checkout
    // where no nx command has run yet, as when this project's tests run alone): make it first.
    const graph = spawnSync(process.execPath, [nxBin, 'show', 'projects'], { cwd: root, encoding: 'utf8', env });
    if (graph.status !== 0) throw new Error(`nx show projects failed: ${graph.stderr}`);
    const run = spawnSync(process.execPath, [eslintBin, '--format', 'json', ...files.keys()], { cwd: root, encoding: 'utf8', env });
    if (!run.stdout) throw new Error(`eslint failed: ${run.stderr}`);
    if (!run.stdout.startsWith('[')) throw new Error(`eslint printed more than its JSON result: ${run.stdout.slice(0, 400)}`);
    const results = JSON.parse(run.stdout) as { filePath: string; messages: { ruleId: string | null; message: string }[] }[];
    for (const result of results) {
      const name = files.get(result.filePath) ?? files.get(join(root, relative(root, result.filePath)));
      if (!name) continue;
      errors.set(
        name,
        result.messages.filter((m) => BOUNDARY_RULES.includes(m.ruleId ?? '')).map((m) => m.message),
      );
    }
  } finally {
    for (const file of files.keys()) rmSync(file, { force: true });
  }
}, 120_000);

describe('Nx module boundaries', () => {
  it('refuse a framework import in the domain', () => {
    expect(errors.get('domainFramework')?.join('\n')).toMatch(/@nestjs\/common/);
  });

  it('refuse I/O and the event store in the domain', () => {
    expect(errors.get('domainIo')?.join('\n')).toMatch(/node:fs/);
    expect(errors.get('domainStore')?.join('\n')).toMatch(/type:domain/);
  });

  it('allow infrastructure and apps to depend on the domain and the store', () => {
    expect(errors.get('storeOnDomain')).toEqual([]);
    expect(errors.get('appOnStore')).toEqual([]);
  });
});
