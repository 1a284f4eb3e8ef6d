import type { QueryRunner } from 'typeorm';

/** PostgreSQL types a column array may be cast to; anything else is refused at definition time. */
const ARRAY_TYPES = new Set([
  'text',
  'varchar',
  'smallint',
  'int',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double precision',
  'boolean',
  'date',
  'timestamp',
  'timestamptz',
  'uuid',
  'json',
  'jsonb',
  'bytea',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One column of the statement: its name, its PostgreSQL type, and how to read it from a row. */
export interface UnnestColumn<T> {
  readonly name: string;
  /** e.g. `text`, `int`, `bigint`, `numeric`, `date`, `timestamptz`, `jsonb`. */
  readonly type: string;
  /** The value for this column; `null`/`undefined` become NULL. bigint values go as decimal strings. */
  readonly value: (row: T) => unknown;
}

/**
 * What happens to a column when the row already exists: `replace` takes the new value, `add`
 * sums, `greatest`/`least` keep the larger/smaller, or a function building the SQL expression
 * from the quoted current and incoming (`EXCLUDED`) column. Columns left out keep their value.
 */
export type ConflictAction =
  'replace' | 'add' | 'greatest' | 'least' | ((current: string, incoming: string) => string);

/** An `INSERT … SELECT FROM unnest(…)` statement, optionally `ON CONFLICT`. */
export interface UnnestUpsertSpec<T> {
  /** `table` or `schema.table`. */
  readonly table: string;
  readonly columns: readonly UnnestColumn<T>[];
  /** Columns of the unique index that decides a conflict; omit for a plain insert. */
  readonly conflict?: readonly string[];
  /** Per column, what a conflict does; none (with `conflict`) means DO NOTHING. */
  readonly update?: Readonly<Record<string, ConflictAction>>;
}

/** A built statement: fixed SQL text, and the column arrays for a batch of rows. */
export interface UnnestStatement<T> {
  readonly text: string;
  /** One typed array per column, in column order: the statement's parameters. */
  values(rows: readonly T[]): unknown[][];
  /** Runs the statement for `rows` (nothing when empty). */
  run(runner: QueryRunner, rows: readonly T[]): Promise<void>;
}

function quote(identifier: string): string {
  if (!IDENTIFIER.test(identifier))
    throw new TypeError(`not a plain SQL identifier: ${JSON.stringify(identifier)}`);
  return `"${identifier}"`;
}

function quoteQualified(name: string): string {
  return name.split('.').map(quote).join('.');
}

function assignment(action: ConflictAction, current: string, incoming: string): string {
  switch (action) {
    case 'replace':
      return incoming;
    case 'add':
      return `${current} + ${incoming}`;
    case 'greatest':
      return `GREATEST(${current}, ${incoming})`;
    case 'least':
      return `LEAST(${current}, ${incoming})`;
    default:
      return action(current, incoming);
  }
}

/**
 * Builds a multi-row insert/upsert that sends one array per column, so the statement text never
 * changes with the batch size (one plan, no parameter limit) and values never enter the SQL.
 * Identifiers are checked and quoted and types come from an allowlist. As with any
 * `ON CONFLICT DO UPDATE`, a batch must not contain one conflict key twice: aggregate queues
 * already give one value per key.
 *
 * ```ts
 * const upsertDaily = unnestUpsert<DailyViews>({
 *   table: 'page_views_daily',
 *   columns: [
 *     { name: 'day', type: 'date', value: (r) => r.day },
 *     { name: 'page_id', type: 'text', value: (r) => r.pageId },
 *     { name: 'views', type: 'bigint', value: (r) => r.views },
 *   ],
 *   conflict: ['day', 'page_id'],
 *   update: { views: 'add' },
 * });
 * // writer: (runner, batch) => upsertDaily.run(runner, batch)
 * ```
 */
export function unnestUpsert<T>(spec: UnnestUpsertSpec<T>): UnnestStatement<T> {
  if (spec.columns.length === 0) throw new TypeError('unnestUpsert needs at least one column');
  const table = quoteQualified(spec.table);
  const names = spec.columns.map((column) => quote(column.name));
  const casts = spec.columns.map((column, i) => {
    const type = column.type.trim().toLowerCase().replace(/\s+/g, ' ');
    if (!ARRAY_TYPES.has(type))
      throw new TypeError(`unsupported column type for ${column.name}: ${column.type}`);
    return `$${i + 1}::${type}[]`;
  });
  let text =
    `INSERT INTO ${table} (${names.join(', ')}) ` +
    `SELECT * FROM unnest(${casts.join(', ')}) AS u(${names.join(', ')})`;
  const updates = Object.entries(spec.update ?? {});
  if (spec.conflict !== undefined && spec.conflict.length > 0) {
    text += ` ON CONFLICT (${spec.conflict.map(quote).join(', ')})`;
    if (updates.length === 0) text += ' DO NOTHING';
    else {
      const known = new Set(spec.columns.map((column) => column.name));
      const sets = updates.map(([column, action]) => {
        if (!known.has(column))
          throw new TypeError(`update names ${column}, which is not a column`);
        return `${quote(column)} = ${assignment(action, `${table}.${quote(column)}`, `EXCLUDED.${quote(column)}`)}`;
      });
      text += ` DO UPDATE SET ${sets.join(', ')}`;
    }
  } else if (updates.length > 0) {
    throw new TypeError('update needs conflict: the columns of the unique index');
  }
  const columns = spec.columns;
  const values = (rows: readonly T[]): unknown[][] => {
    const arrays = columns.map(() => new Array<unknown>(rows.length));
    for (let r = 0; r < rows.length; r++) {
      for (let c = 0; c < columns.length; c++) arrays[c][r] = columns[c].value(rows[r]) ?? null;
    }
    return arrays;
  };
  return {
    text,
    values,
    async run(runner, rows) {
      if (rows.length > 0) await runner.query(text, values(rows));
    },
  };
}
