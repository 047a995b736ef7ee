import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { json } from '../schemas.ts';

const route = createRoute({
  method: 'get',
  path: '/health',
  tags: ['system'],
  summary: 'Liveness and database reachability',
  middleware: [access({ who: 'anyone' })] as const,
  responses: {
    200: json(z.object({ status: z.literal('ok'), database: z.enum(['postgres', 'pglite']) }), 'Up'),
    503: json(z.object({ status: z.literal('unavailable'), database: z.enum(['postgres', 'pglite']) }), 'Database unreachable'),
  },
});

export function registerHealth(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { database } = c.var.deps;
    try {
      await database.db.execute(sql`select 1`);
      return c.json({ status: 'ok' as const, database: database.kind }, 200);
    } catch {
      return c.json({ status: 'unavailable' as const, database: database.kind }, 503);
    }
  });
}
