/**
 * The PostgreSQL connection pool and schema migrations.
 *
 * Milliseconds since the epoch do not fit in 32 bits, so times are BIGINT;
 * node-postgres returns BIGINT as a string by default (it may exceed 2^53).
 * Every value this service stores (times, counts, ids) stays far below 2^53,
 * so this pool, and only this pool, reads BIGINT as a JS number.
 */
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from './migrations.js';

const INT8_OID = 20;

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export function createPostgresPool(url: string, options: { max?: number } = {}): pg.Pool {
  // A server that drops packets must fail a start or a request, not hang it.
  const pool = new pg.Pool({ connectionString: url, types, max: options.max ?? 10, connectionTimeoutMillis: 10_000 });
  // An idle connection that breaks (server restart, network) is dropped by the
  // pool and replaced on demand; without a listener the 'error' event would end the process.
  pool.on('error', () => {});
  return pool;
}

/** Any fixed number: it only has to be the same in every process of every version. */
const MIGRATION_LOCK = '7206754352839176281';

/**
 * Applies every migration newer than the database's version and returns how
 * many ran. All of it happens in one transaction holding an advisory lock, so
 * processes starting together migrate one after the other (the later ones find
 * nothing left to do), and a failing step leaves the schema as it was
 * (PostgreSQL's DDL is transactional).
 */
export async function migratePostgresPool(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    let applied = 0;
    for (const [index, sql] of POSTGRES_MIGRATIONS.entries()) {
      const version = index + 1;
      if (done.has(version)) continue;
      if (typeof sql === 'string') await client.query(sql);
      else await sql(client);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, Date.now()]);
      applied++;
    }
    await client.query('COMMIT');
    return applied;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/** For the `migrate` command: migrates the database at `url` and returns how many migrations ran. */
export async function migratePostgres(url: string): Promise<number> {
  const pool = createPostgresPool(url, { max: 1 });
  try {
    return await migratePostgresPool(pool);
  } finally {
    await pool.end();
  }
}

export async function postgresSchemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}

/** True for a unique-key clash (SQLSTATE 23505), which the contracts report as DuplicateError. */
export const isUniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === '23505';
