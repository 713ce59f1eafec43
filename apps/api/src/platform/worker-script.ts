import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WorkerOptions } from 'node:worker_threads';

/** Where a worker thread's code is, and how the thread must load it. */
export interface WorkerScript {
  script: string;
  options: Pick<WorkerOptions, 'execArgv' | 'env'>;
}

/**
 * The script of a worker thread, from TypeScript sources (the tests) or from the build. From
 * sources the thread compiles `sourceFile` with @swc-node/register, as `npm run` scripts do;
 * built, it loads `bundle` from the folder of the running bundle (dist/apps/api). Not the
 * process's V8 options (--max-semi-space-size...): a worker refuses them. Profiling passes on.
 *
 * @param caller the caller's `__filename`: a `.ts` file when running from sources
 */
export function workerScript(caller: string, sourceFile: string, bundle: string): WorkerScript {
  if (caller.endsWith('.ts')) {
    return {
      script: sourceFile,
      options: { execArgv: ['-r', '@swc-node/register'], env: { ...process.env, SWC_NODE_PROJECT: process.env['SWC_NODE_PROJECT'] ?? workspaceTsconfig(dirname(sourceFile)) } },
    };
  }
  return { script: join(dirname(caller), bundle), options: { execArgv: process.execArgv.filter((a) => /^--(cpu-prof|heap-prof|enable-source-maps)/.test(a)), env: process.env } };
}

/** tsconfig.base.json of the workspace `from` is in. */
function workspaceTsconfig(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'tsconfig.base.json');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`no tsconfig.base.json above ${from}`);
}
