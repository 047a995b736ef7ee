// A fresh, migrated database for one test file: PGlite in memory, or a new database on the
// PostgreSQL server of TEST_DATABASE_URL (dropped afterwards).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../db/client.ts';
import { migrate } from '../../db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    database: 'pglite' | 'postgres';
  }
}

export const databaseKind = (): 'pglite' | 'postgres' => inject('database');

export function postgresUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  return url;
}

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty PostgreSQL database; returns its URL and a function that drops it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = postgres(postgresUrl(), { max: 1, onnotice: () => {} });
  const name = `ygcw_test_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  return {
    url: withDatabaseName(postgresUrl(), name),
    drop: async () => {
      const a = postgres(postgresUrl(), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

export interface TestDatabase extends Database {
  /** Closes the connection and, on PostgreSQL, drops the database. */
  dispose(): Promise<void>;
}

/** A private copy of the demo county loaded once by tests/support/demo-snapshot.ts. */
export async function demoDatabase(kind = databaseKind()): Promise<TestDatabase> {
  const demo = inject('demo');
  if (kind === 'pglite') {
    const database = await openDatabase({ kind: 'pglite-memory', loadDataDir: new Blob([readFileSync(demo.pgliteDump!)]) });
    return { ...database, dispose: () => database.close() };
  }
  const name = `ygcw_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(postgresUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}" template "${demo.postgresTemplate}"`);
  await admin.end();
  const database = await openDatabase({ kind: 'postgres', url: withDatabaseName(postgresUrl(), name), maxConnections: 5 });
  return {
    ...database,
    dispose: async () => {
      await database.close();
      const a = postgres(postgresUrl(), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

export async function freshDatabase(kind = databaseKind(), { migrated = true } = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openDatabase({ kind: 'pglite-memory' });
    if (migrated) await migrate(database.db);
    return { ...database, dispose: () => database.close() };
  }
  const { url, drop } = await createPostgresDatabase();
  const database = await openDatabase({ kind: 'postgres', url, maxConnections: 5 });
  if (migrated) await migrate(database.db);
  return {
    ...database,
    dispose: async () => {
      await database.close();
      await drop();
    },
  };
}
