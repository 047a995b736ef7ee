// Shared OpenAPI/zod schemas of API v1.
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string() }) })
  .openapi('Error', { description: 'The error envelope of interchange.md' });

export const RegionCode = z
  .string()
  .regex(/^[0-9]{12}$/, '须为 12 位数字的统计用区划代码')
  .openapi({ example: '519901101201', description: '12-digit 统计用区划代码' });

export const RoleSchema = z.enum(['accountant', 'inspector', 'admin']);

export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: RoleSchema,
    scope: RegionCode,
  })
  .openapi('User');

const err = (description: string) => ({ content: { 'application/json': { schema: ErrorSchema } }, description });

/** The error answers a route can give, by status. */
export const errors = {
  400: err('Bad input'),
  401: err('Not signed in'),
  403: err('Outside the caller’s role or scope'),
  404: err('Not found'),
  409: err('Conflict'),
  413: err('Too large'),
  415: err('Unsupported type'),
  422: err('Invalid rows'),
  429: err('Throttled'),
} as const;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
