// Migrations: idempotent, and safe when two processes start together.
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/client.ts';
import { migrate } from '../../db/migrate.ts';
import { createPostgresDatabase, databaseKind, freshDatabase } from '../support/database.ts';

const rows = async (db: Awaited<ReturnType<typeof freshDatabase>>['db'], query: ReturnType<typeof sql>) => {
  const result = (await db.execute(query)) as unknown as { rows?: unknown[] } | unknown[];
  return Array.isArray(result) ? result : (result.rows ?? []);
};

describe('migrations', () => {
  it('apply once and are idempotent', async () => {
    const database = await freshDatabase(databaseKind(), { migrated: false });
    try {
      const first = await migrate(database.db);
      expect(first.applied.length).toBeGreaterThan(0);
      const second = await migrate(database.db);
      expect(second.applied).toEqual([]);
      const tables = await rows(
        database.db,
        sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
      );
      expect(tables.map((r) => (r as { table_name: string }).table_name)).toEqual(
        expect.arrayContaining(['regions', 'users', 'sessions', 'api_tokens', 'audit_log', 'schema_migrations']),
      );
    } finally {
      await database.dispose();
    }
  });

  // Only PostgreSQL has several connections; PGlite is one process by construction (its
  // directory lock is tested in tests/e2e/server.test.ts), so the case is not registered there.
  if (databaseKind() === 'postgres') it('run once when several connections start together', async () => {
    const { url, drop } = await createPostgresDatabase();
    const clients = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ kind: 'postgres', url, maxConnections: 1 })));
    try {
      const results = await Promise.all(clients.map((c) => migrate(c.db)));
      const appliedCounts = results.map((r) => r.applied.length).sort();
      expect(appliedCounts.filter((n) => n > 0)).toHaveLength(1);
      const [count] = await rows(clients[0]!.db, sql`select count(*)::int as n from schema_migrations`);
      expect((count as { n: number }).n).toBe(Math.max(...appliedCounts));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await drop();
    }
  });
});
