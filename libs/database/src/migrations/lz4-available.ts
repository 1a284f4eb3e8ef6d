import type { QueryRunner } from 'typeorm';

/**
 * Whether the server can compress TOAST values with LZ4 (PostgreSQL 14+ built with lz4, as the
 * Debian and Docker images are); migrations use it where they can and keep the default elsewhere.
 */
export async function lz4Available(runner: QueryRunner): Promise<boolean> {
  const rows = (await runner.query(
    "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)",
  )) as unknown[];
  return rows.length > 0;
}
