import { Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { OperatorError, reasonOf } from '../config/operator-error';
import { dirname } from 'node:path';
import { ROLES, type Principal, type TokenEntry } from './principal';

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The demo contractor: the law firm of the demo data set (see demo/demo-data.ts). */
export const DEMO_CONTRACTOR_KVK = '90000017';
export const DEMO_MUNICIPALITY = 'Utrecht';

function validate(entries: unknown, file: string): TokenEntry[] {
  if (!Array.isArray(entries)) throw new OperatorError(`${file}: expected a JSON array of { tokenSha256, subject, role, municipality?, contractorKvk? }`);
  const seen = new Map<string, number>();
  return entries.map((e: Partial<TokenEntry> | null, i) => {
    const where = `${file}[${i}]`;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new OperatorError(`${where}: expected an object { tokenSha256, subject, role, ... }`);
    // One token, one principal: with two entries, which one a request would act as is up to the order.
    const first = typeof e.tokenSha256 === 'string' ? seen.get(e.tokenSha256.toLowerCase()) : undefined;
    if (first !== undefined) throw new OperatorError(`${where}: the same tokenSha256 as ${file}[${first}]; give each token one entry`);
    if (typeof e.tokenSha256 === 'string') seen.set(e.tokenSha256.toLowerCase(), i);
    if (typeof e.tokenSha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(e.tokenSha256)) throw new OperatorError(`${where}: tokenSha256 must be 64 hex digits`);
    if (typeof e.subject !== 'string' || e.subject.length === 0) throw new OperatorError(`${where}: subject is required`);
    if (!ROLES.includes(e.role as never)) throw new OperatorError(`${where}: role must be one of ${ROLES.join(', ')}`);
    if ((e.role === 'advisor' || e.role === 'auditor' || e.role === 'integrator') && !e.municipality) throw new OperatorError(`${where}: an ${e.role} needs a municipality`);
    if (e.role === 'contractor' && !/^\d{8}$/.test(e.contractorKvk ?? '')) throw new OperatorError(`${where}: a contractor needs an 8-digit contractorKvk`);
    return { ...e, tokenSha256: e.tokenSha256.toLowerCase() } as TokenEntry;
  });
}

/**
 * Reads the tokens file; when it does not exist, creates it with one demo token per role and
 * prints the tokens (only their hashes are stored, so they are shown this once).
 */
export function loadOrCreateTokens(file: string, print: (text: string) => void = (t) => new Logger('Auth').log(t)): Map<string, Principal> {
  if (!existsSync(file)) {
    const demo: Array<Principal & { token: string }> = [
      { subject: 'demo-advisor', role: 'advisor', municipality: DEMO_MUNICIPALITY, token: '' },
      { subject: 'demo-contractor', role: 'contractor', contractorKvk: DEMO_CONTRACTOR_KVK, token: '' },
      { subject: 'demo-auditor', role: 'auditor', municipality: DEMO_MUNICIPALITY, token: '' },
      { subject: 'demo-admin', role: 'admin', token: '' },
      { subject: 'demo-integrator', role: 'integrator', municipality: DEMO_MUNICIPALITY, token: '' },
    ].map((p) => ({ ...(p as Principal), token: `sroi_${p.role}_${randomBytes(18).toString('base64url')}` }));
    mkdirSync(dirname(file), { recursive: true });
    const entries: TokenEntry[] = demo.map(({ token, ...p }) => ({ tokenSha256: sha256Hex(token), ...p }));
    writeFileSync(file, `${JSON.stringify(entries, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    print(
      [
        `No tokens file: created ${file} with one demo token per role. These tokens are shown once:`,
        ...demo.map((d) => `  ${d.role.padEnd(10)} ${d.token}${d.municipality ? `  (municipality ${d.municipality})` : ''}${d.contractorKvk ? `  (KvK ${d.contractorKvk})` : ''}`),
        `Use them as 'Authorization: Bearer <token>' (in /api/docs: Authorize).`,
      ].join('\n'),
    );
  }
  const tokens = readTokensFile(file);
  if (tokens.size === 0) new Logger('Auth').warn(`${file} holds no token: every request but /health, /ready and the schemas will be answered 401`);
  return tokens;
}

/** The principals of an existing tokens file, by token hash; an OperatorError naming the file and entry for anything wrong in it. */
export function readTokensFile(file: string): Map<string, Principal> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OperatorError(`SROI_TOKENS_FILE ${file} cannot be read: ${reasonOf(error)}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OperatorError(`${file}: not valid JSON (${reasonOf(error)})`, { cause: error });
  }
  const entries = validate(parsed, file);
  const map = new Map<string, Principal>();
  for (const { tokenSha256, ...principal } of entries) map.set(tokenSha256, principal);
  return map;
}
