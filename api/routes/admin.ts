// Administration: regions and staff accounts.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { upsertRegions } from '../../db/regions.ts';
import { createUser } from '../../db/users.ts';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { errors, json, RegionCode, RoleSchema } from '../schemas.ts';

const putRegions = createRoute({
  method: 'put',
  path: '/regions',
  tags: ['admin'],
  summary: 'Insert or rename regions (parents derived from the codes; all or nothing)',
  middleware: [access({ who: ['admin'] })] as const,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .array(z.strictObject({ code: z.string().max(20), name: z.string().min(1).max(100) }))
            .max(100_000)
            .openapi({ example: [{ code: '519901101201', name: '沙湾村' }] }),
        },
      },
    },
  },
  responses: {
    200: json(z.object({ upserted: z.number().int() }), 'Regions stored'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    413: errors[413],
  },
});

const postUser = createRoute({
  method: 'post',
  path: '/users',
  tags: ['admin'],
  summary: 'Create a staff account within the administrator’s scope',
  middleware: [access({ who: ['admin'] })] as const,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            username: z.string().min(1).max(40),
            password: z.string().min(1).max(1000),
            role: RoleSchema,
            scope: RegionCode,
            displayName: z.string().max(100),
            /** Where notifications go (inspectors: new high-severity alerts, the daily digest). */
            email: z.email('电子邮件地址无效').max(254).optional(),
          }),
        },
      },
    },
  },
  responses: {
    201: json(z.object({ id: z.string() }), 'Created'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    409: errors[409],
  },
});

export function registerAdmin(app: OpenAPIHono<AppEnv>) {
  app.openapi(putRegions, async (c) => {
    const { deps } = c.var;
    const result = await upsertRegions({
      db: deps.database.db,
      now: deps.now(),
      actor: c.var.actor!,
      requestId: c.var.requestId,
      input: c.req.valid('json'),
    });
    return c.json(result, 200);
  });

  app.openapi(postUser, async (c) => {
    const { deps } = c.var;
    const result = await createUser({
      db: deps.database.db,
      now: deps.now(),
      actor: c.var.actor!,
      requestId: c.var.requestId,
      input: c.req.valid('json'),
    });
    return c.json(result, 201);
  });
}
