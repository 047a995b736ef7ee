// Opens the database: PostgreSQL through postgres.js when a URL is given, otherwise
// embedded PGlite (in a directory, or in memory for tests). Both go through the same
// Drizzle schema, migrations and queries.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql, type ExtractTablesWithRelations, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import lockfile from 'proper-lockfile';
import * as schema from './schema.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything queries can run on: the database or an open transaction. */
export type Executor = Db | Tx;

/** Rows of a raw query, whichever driver ran it (PGlite answers `{ rows }`, postgres.js an array). */
export async function queryRows<T>(db: Executor, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}

/** A JSON parameter usable on both drivers. */
export const jsonParam = (value: unknown): SQL => sql`${JSON.stringify(value)}::json`;

/** A text[] parameter usable on both drivers. */
export const pgTextArray = (values: readonly string[]): SQL => sql`array(select json_array_elements_text(${jsonParam(values)}))`;

export type DatabaseKind = 'postgres' | 'pglite';

export interface Database {
  db: Db;
  kind: DatabaseKind;
  /** Where it lives, for messages: the URL without its password, the directory, or 'memory'. */
  location: string;
  /** The connection the job queue (pg-boss) shares: the embedded instance, or the server's URL. */
  raw: { kind: 'pglite'; client: PGlite } | { kind: 'postgres'; url: string };
  close(): Promise<void>;
}

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; maxConnections?: number }
  | { kind: 'pglite'; dir: string }
  /** In memory; optionally started from a data directory dump (PGlite's dumpDataDir). */
  | { kind: 'pglite-memory'; loadDataDir?: Blob };

export class DatabaseLockedError extends Error {
  constructor(dir: string) {
    super(
      `数据目录 ${dir} 正被另一个进程使用（嵌入式数据库只允许一个进程打开）。` +
        `请先停止另一个进程，或设置不同的 DATA_DIR，或用 DATABASE_URL 连接 PostgreSQL。\n` +
        `The data directory ${dir} is in use by another process: PGlite allows one process only.`,
    );
    this.name = 'DatabaseLockedError';
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'postgres') {
    const client = postgres(target.url, {
      max: target.maxConnections ?? 10,
      onnotice: () => {},
      connection: { application_name: 'yangguang-cunwu' },
    });
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      location: redactUrl(target.url),
      raw: { kind: 'postgres', url: target.url },
      close: () => client.end({ timeout: 5 }),
    };
  }

  if (target.kind === 'pglite-memory') {
    const client = new PGlite({ extensions: { pg_trgm }, ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}) });
    await client.waitReady;
    const db = drizzlePglite(client, { schema }) as unknown as Db;
    return { db, kind: 'pglite', location: 'memory', raw: { kind: 'pglite', client }, close: () => client.close() };
  }

  // PGlite does not stop a second process from opening the same directory (both would
  // write, silently corrupting it), so the directory is guarded by a lockfile.
  const dir = path.resolve(target.dir);
  mkdirSync(dir, { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: `${dir}.lock`,
      stale: 15_000,
      update: 5_000,
      realpath: false,
      onCompromised: (err) => {
        // Another process took the lock over: stop writing at once rather than corrupt the data.
        console.error(`数据目录锁失效 (lock compromised): ${err.message}`);
        process.exit(70);
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') throw new DatabaseLockedError(dir);
    throw err;
  }
  let client: PGlite;
  try {
    // Every extension a migration creates must be loaded at every open.
    client = new PGlite(dir, { extensions: { pg_trgm } });
    await client.waitReady;
  } catch (err) {
    await release();
    throw err;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    location: dir,
    raw: { kind: 'pglite', client },
    close: async () => {
      await client.close();
      await release();
    },
  };
}
