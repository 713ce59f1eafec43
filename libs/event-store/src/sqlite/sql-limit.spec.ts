import Database from 'better-sqlite3';
import { limitClause, StatementCache } from './sql-limit';

describe('limitClause', () => {
  it('writes a whole number of 0 or more into the SQL', () => {
    expect(limitClause(0)).toBe('LIMIT 0');
    expect(limitClause(500)).toBe('LIMIT 500');
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses %p', (limit) => {
    expect(() => limitClause(limit)).toThrow(RangeError);
  });

  it('limits the rows SQLite returns', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3)');
    expect(db.prepare(`SELECT n FROM t ORDER BY n ${limitClause(2)}`).pluck().all()).toEqual([1, 2]);
    db.close();
  });
});

describe('StatementCache', () => {
  it('prepares each SQL once, and past its size prepares without keeping', () => {
    const prepared: string[] = [];
    const cache = new StatementCache((sql) => {
      prepared.push(sql);
      return { sql };
    }, 2);
    const a = cache.get('a');
    expect(cache.get('a')).toBe(a);
    cache.get('b');
    cache.get('c');
    cache.get('c');
    expect(prepared).toEqual(['a', 'b', 'c', 'c']);
    expect(cache.get('b')).toBe(cache.get('b'));
  });
});
