import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperatorError } from '../config/operator-error';
import { loadOrCreateTokens, readTokensFile, sha256Hex } from './tokens';

describe('the tokens file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sroi-tokens-'));
    file = join(dir, 'tokens.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const entry = (token: string, role = 'advisor') => ({ tokenSha256: sha256Hex(token), subject: `s-${token}`, role, municipality: 'Utrecht' });
  const refusal = (content: string): OperatorError => {
    writeFileSync(file, content);
    try {
      readTokensFile(file);
    } catch (error) {
      expect(error).toBeInstanceOf(OperatorError);
      return error as OperatorError;
    }
    throw new Error('not refused');
  };

  it('reads the principals by token hash', () => {
    writeFileSync(file, JSON.stringify([entry('a'), entry('b', 'auditor')]));
    const tokens = readTokensFile(file);
    expect(tokens.get(sha256Hex('b'))).toMatchObject({ subject: 's-b', role: 'auditor', municipality: 'Utrecht' });
  });

  it('refuses a token given twice, naming both entries (which one a request would act as was up to the order)', () => {
    const upper = { ...entry('a', 'auditor'), tokenSha256: sha256Hex('a').toUpperCase() };
    expect(refusal(JSON.stringify([entry('a'), upper])).message).toBe(`${file}[1]: the same tokenSha256 as ${file}[0]; give each token one entry`);
  });

  it('names the file for JSON it cannot parse, and the entry that is no object', () => {
    expect(refusal('[{"tokenSha256": ').message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON`));
    expect(refusal('[null]').message).toBe(`${file}[0]: expected an object { tokenSha256, subject, role, ... }`);
    expect(() => readTokensFile(dir)).toThrow(`SROI_TOKENS_FILE ${dir} cannot be read`);
  });

  it('warns when the file holds no token (every request would be 401)', () => {
    writeFileSync(file, '[]');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      expect(loadOrCreateTokens(file).size).toBe(0);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('holds no token'));
    } finally {
      warn.mockRestore();
    }
  });
});
