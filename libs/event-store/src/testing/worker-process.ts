import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerReport, WorkerTask } from './append-worker';

const WORKER = join(__dirname, 'append-worker.ts');
const WORKSPACE_ROOT = join(__dirname, '..', '..', '..', '..');

export interface RunningWorker {
  child: ChildProcess;
  reports: WorkerReport[];
  /** Resolves with the exit code (or the signal) once the process has ended and its output is read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Starts append-worker.ts in its own Node.js process (TypeScript through @swc-node/register). */
export function startWorker(task: WorkerTask): RunningWorker {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', WORKER], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, WORKER_TASK: JSON.stringify(task), SWC_NODE_PROJECT: join(WORKSPACE_ROOT, 'tsconfig.base.json') },
    stdio: [task.mode === 'race' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const reports: WorkerReport[] = [];
  let pending = '';
  let errors = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) reports.push(JSON.parse(line) as WorkerReport);
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (errors += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, reports, exited, stderr: () => errors };
}

/** Waits until every racer has reported `ready` (its store open), then starts them all at once. */
export async function releaseWorkers(workers: RunningWorker[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!workers.every((w) => w.reports.some((r) => r.kind === 'ready'))) {
    if (Date.now() > deadline) throw new Error('the racing workers did not all get ready');
    if (workers.some((w) => w.child.exitCode !== null)) throw new Error(`a racing worker exited early: ${workers.map((w) => w.stderr()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const w of workers) w.child.stdin?.end('go\n');
}
