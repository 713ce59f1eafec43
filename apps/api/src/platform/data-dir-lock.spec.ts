import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataDirInUseError, lockDataDir } from './data-dir-lock';

const root = resolve(__dirname, '../../../..');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sroi-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A second process that takes the lock with the same function and holds it until killed. It drops
 * the handle and collects garbage before it says so: the lock must outlive its handle.
 */
function holderProcess(): Promise<ReturnType<typeof spawn>> {
  const code = `const { lockDataDir } = require(${JSON.stringify(join(__dirname, 'data-dir-lock.ts'))}); lockDataDir(${JSON.stringify(dir)}); global.gc(); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--expose-gc', '-r', '@swc-node/register', '-e', code], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolveHeld, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolveHeld(child));
    child.once('exit', (exitCode) => reject(new Error(`the holder exited with ${exitCode}`)));
  });
}

describe('lockDataDir', () => {
  it('refuses a second holder of the same folder until the first releases it', () => {
    const first = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    first.release();
    lockDataDir(dir).release();
  });

  it("refuses while another process holds the folder, and takes it once that process is killed (no stale lock)", async () => {
    const holder = await holderProcess();
    try {
      expect(() => lockDataDir(dir)).toThrow(`another sroi-ledger service is using ${dir}`);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    lockDataDir(dir).release();
  }, 30_000);

  it('creates the folder when it does not exist yet', () => {
    const nested = join(dir, 'a', 'b');
    lockDataDir(nested).release();
  });
});
