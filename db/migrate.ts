// Runs the committed Drizzle migrations (db/migrations) on either database.
//
// Drizzle's own migrator takes no lock, so two processes starting together could both
// apply the same migration. This runner applies everything pending in ONE transaction
// holding a transaction-scoped advisory lock: the second process waits, then finds
// nothing left to do. The files are read and hashed by drizzle's readMigrationFiles.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Db } from './client.ts';

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Arbitrary constant key of the advisory lock that serialises migrations. */
const MIGRATION_LOCK_KEY = 518_810_001;

export interface MigrationResult {
  applied: string[];
}

export async function migrate(db: Db): Promise<MigrationResult> {
  const migrations = readMigrationFiles({ migrationsFolder });
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(sql`create table if not exists schema_migrations (
      hash text primary key,
      created_at bigint not null,
      applied_at timestamptz not null default now()
    )`);
    const done = new Set(
      (await tx.select({ hash: sql<string>`hash` }).from(sql`schema_migrations`)).map((r) => r.hash),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.hash)) continue;
      for (const statement of m.sql) {
        if (statement.trim()) await tx.execute(sql.raw(statement));
      }
      await tx.execute(sql`insert into schema_migrations (hash, created_at) values (${m.hash}, ${m.folderMillis})`);
      applied.push(m.hash);
    }
    return { applied };
  });
}
