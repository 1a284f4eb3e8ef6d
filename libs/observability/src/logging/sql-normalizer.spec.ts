import { normalizeSql } from './sql-normalizer';

describe('normalizeSql', () => {
  it.each([
    ['SELECT pg_sleep(0.3)', 'SELECT pg_sleep(?)'],
    ['SELECT * FROM t WHERE a = $1 AND b = $2', 'SELECT * FROM t WHERE a = ? AND b = ?'],
    [
      "SELECT * FROM users WHERE email = 'a@b.c' AND note = 'it''s'",
      'SELECT * FROM users WHERE email = ? AND note = ?',
    ],
    ["SELECT E'esc\\'aped' AS a, 'plain\\' AS b", 'SELECT ? AS a, ? AS b'],
    ['SELECT $$dollar secret$$, $tag$ with $$ inside $tag$', 'SELECT ?, ...'],
    [
      'SELECT -42, 1.5e3, .5 FROM t1 JOIN t2 ON t1.id2 = t2.id2',
      'SELECT -?, ... FROM t1 JOIN t2 ON t1.id2 = t2.id2',
    ],
    [
      'SELECT "Col 1", "x""y" FROM "T9" WHERE "Col 1" = 5',
      'SELECT "Col 1", "x""y" FROM "T9" WHERE "Col 1" = ?',
    ],
    [
      "SELECT 1 -- where token = 'x'\nFROM t /* secret 7 */ WHERE a = 2",
      'SELECT ? FROM t WHERE a = ?',
    ],
    ['SELECT * FROM t WHERE id IN ($1, $2, $3)', 'SELECT * FROM t WHERE id IN (?, ...)'],
    [
      'INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)',
      'INSERT INTO t (a, b) VALUES (?, ...), ...',
    ],
    ["SELECT '--not a comment', x::int4 FROM t", 'SELECT ?, x::int4 FROM t'],
    ['SELECT  a,\n\t b\n FROM   t ', 'SELECT a, b FROM t'],
  ])('%j → %j', (sql, expected) => {
    expect(normalizeSql(sql)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const sql of [
      'SELECT * FROM t WHERE id IN ($1, $2, $3) AND b = 4',
      'INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)',
      "SELECT 'x', 1, 2.5",
    ]) {
      const once = normalizeSql(sql);
      expect(normalizeSql(once)).toBe(once);
    }
  });

  it('never keeps a literal value', () => {
    const sql =
      "UPDATE accounts SET password = 'hunter2', pin = 1234 WHERE token = E'qw\\'erty' AND k = $$s3cret$$";
    const normalized = normalizeSql(sql);
    for (const secret of ['hunter2', '1234', 'qw', 'erty', 's3cret'])
      expect(normalized).not.toContain(secret);
    expect(normalized).toBe('UPDATE accounts SET password = ?, pin = ? WHERE token = ? AND k = ?');
  });

  it('caps very long statements', () => {
    expect(normalizeSql(`SELECT ${'a + '.repeat(5000)}b`).length).toBeLessThanOrEqual(8192);
  });
});
