// Micro-power lists (小微权力清单) and policies (惠民政策) of a region, and the public view of
// a village's registers (officials, decisions, powers, policies).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { deletePolicy, deletePower, POWER_CATEGORIES, policiesFor, powersFor, savePolicy, savePower } from '../../db/powers.ts';
import { listDecisions, listOfficials, requireVillage } from '../../db/villages.ts';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { errors, json, RegionCode } from '../schemas.ts';

const RegionParams = z.object({ code: RegionCode.openapi({ param: { name: 'code', in: 'path' } }) });
const WithId = RegionParams.extend({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const staff = access({ who: ['accountant', 'admin'], scopeParam: 'code' });
const anyone = access({ who: 'anyone' });
const Date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD');

const PowerBody = z.strictObject({
  category: z.enum(POWER_CATEGORIES),
  name: z.string().trim().min(1).max(100),
  legalBasis: z.string().max(1000),
  responsiblePost: z.string().max(100),
  steps: z
    .array(z.strictObject({ actor: z.string().trim().min(1).max(100), action: z.string().trim().min(1).max(300), output: z.string().max(200), timeLimit: z.string().max(100) }))
    .min(1)
    .max(30),
  riskPoints: z.array(z.string().trim().min(1).max(300)).max(30),
  position: z.number().int().min(0).max(10_000).optional(),
});
const PolicyBody = z.strictObject({
  title: z.string().trim().min(1).max(200),
  conditions: z.string().trim().min(1).max(5000),
  procedure: z.string().trim().min(1).max(5000),
  documents: z.string().max(5000),
  contact: z.string().max(500),
  validFrom: Date.nullable().optional(),
  validTo: Date.nullable().optional(),
});
const Saved = json(z.object({ id: z.string() }), 'Saved');
const writeErrors = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] };

const writeRoute = <B extends z.ZodType | undefined, P extends typeof RegionParams | typeof WithId>(
  method: 'post' | 'put' | 'delete',
  path: string,
  summary: string,
  params: P,
  body: B,
) =>
  createRoute({
    method,
    path,
    tags: ['registers'],
    summary,
    middleware: [staff] as const,
    request: {
      params,
      ...((body ? { body: { required: true, content: { 'application/json': { schema: body } } } } : {}) as B extends z.ZodType
        ? { body: { required: true; content: { 'application/json': { schema: B } } } }
        : object),
    },
    responses: {
      200: json(z.object({ id: z.string().optional(), deleted: z.number().int().optional() }), 'Saved or deleted'),
      201: Saved,
      ...writeErrors,
    },
  });

const publicRoute = (path: string, summary: string, schema: z.ZodType) =>
  createRoute({
    method: 'get',
    path,
    tags: ['public'],
    summary,
    middleware: [anyone] as const,
    request: { params: RegionParams },
    responses: { 200: json(schema, 'The register'), 404: errors[404] },
  });

const Power = z.object({
  id: z.string(),
  regionCode: z.string(),
  category: z.string(),
  name: z.string(),
  legalBasis: z.string(),
  responsiblePost: z.string(),
  steps: z.array(z.object({ actor: z.string(), action: z.string(), output: z.string(), timeLimit: z.string() })),
  riskPoints: z.array(z.string()),
});
const Policy = z.object({
  id: z.string(),
  regionCode: z.string(),
  title: z.string(),
  conditions: z.string(),
  procedure: z.string(),
  documents: z.string(),
  contact: z.string(),
  validFrom: z.string().nullable(),
  validTo: z.string().nullable(),
});

export function registerRegisters(app: OpenAPIHono<AppEnv>) {
  const ctx = (c: { var: AppEnv['Variables'] }) => ({ db: c.var.deps.database.db, now: c.var.deps.now(), actor: c.var.actor!, requestId: c.var.requestId });
  const db = (c: { var: AppEnv['Variables'] }) => c.var.deps.database.db;

  const powerPost = writeRoute('post', '/regions/{code}/powers', 'Add a micro-power (applies to every village below the region)', RegionParams, PowerBody);
  app.openapi(powerPost, async (c) =>
    c.json(await savePower({ ...ctx(c), input: { regionCode: c.req.valid('param').code, power: c.req.valid('json') } }), 201),
  );
  const powerPut = writeRoute('put', '/regions/{code}/powers/{id}', 'Change a micro-power', WithId, PowerBody);
  app.openapi(powerPut, async (c) => {
    const { code, id } = c.req.valid('param');
    return c.json(await savePower({ ...ctx(c), input: { regionCode: code, id, power: c.req.valid('json') } }), 200);
  });
  const powerDelete = writeRoute('delete', '/regions/{code}/powers/{id}', 'Remove a micro-power', WithId, undefined);
  app.openapi(powerDelete, async (c) => {
    const { code, id } = c.req.valid('param');
    return c.json(await deletePower({ ...ctx(c), input: { regionCode: code, id } }), 200);
  });
  const policyPost = writeRoute('post', '/regions/{code}/policies', 'Add a policy (applies to every village below the region)', RegionParams, PolicyBody);
  app.openapi(policyPost, async (c) =>
    c.json(await savePolicy({ ...ctx(c), input: { regionCode: c.req.valid('param').code, policy: c.req.valid('json') } }), 201),
  );
  const policyPut = writeRoute('put', '/regions/{code}/policies/{id}', 'Change a policy', WithId, PolicyBody);
  app.openapi(policyPut, async (c) => {
    const { code, id } = c.req.valid('param');
    return c.json(await savePolicy({ ...ctx(c), input: { regionCode: code, id, policy: c.req.valid('json') } }), 200);
  });
  const policyDelete = writeRoute('delete', '/regions/{code}/policies/{id}', 'Remove a policy', WithId, undefined);
  app.openapi(policyDelete, async (c) => {
    const { code, id } = c.req.valid('param');
    return c.json(await deletePolicy({ ...ctx(c), input: { regionCode: code, id } }), 200);
  });

  app.openapi(
    publicRoute('/public/villages/{code}/officials', 'The village’s officials and their duty lists', z.object({ officials: z.array(z.object({ name: z.string(), post: z.string(), duties: z.string() })) })),
    async (c) => {
      const { code } = c.req.valid('param');
      await requireVillage(db(c), code);
      const rows = await listOfficials(db(c), code);
      return c.json({ officials: rows.map(({ name, post, duties }) => ({ name, post, duties })) }, 200);
    },
  );
  app.openapi(
    publicRoute(
      '/public/villages/{code}/decisions',
      'Decisions (决议) with their 四议两公开 steps',
      z.object({
        decisions: z.array(
          z.object({ ref: z.string(), title: z.string(), decidedOn: z.string(), amountFen: z.number().int().nullable(), steps: z.array(z.record(z.string(), z.unknown())) }),
        ),
      }),
    ),
    async (c) => {
      const { code } = c.req.valid('param');
      await requireVillage(db(c), code);
      const rows = await listDecisions(db(c), code);
      return c.json(
        {
          decisions: rows.map((d) => ({
            ref: d.ref,
            title: d.title,
            decidedOn: d.decidedOn,
            amountFen: d.amountFen,
            steps: d.steps.map(({ decisionId: _d, ...s }) => s),
          })),
        },
        200,
      );
    },
  );
  app.openapi(publicRoute('/public/villages/{code}/powers', 'The micro-power list that applies to the village', z.object({ powers: z.array(Power) })), async (c) => {
    const { code } = c.req.valid('param');
      await requireVillage(db(c), code);
    const rows = await powersFor(db(c), code);
    return c.json({ powers: rows.map(({ updatedAt: _u, position: _p, ...p }) => p) }, 200);
  });
  app.openapi(publicRoute('/public/villages/{code}/policies', 'Policies that apply to the village', z.object({ policies: z.array(Policy) })), async (c) => {
    const { code } = c.req.valid('param');
      await requireVillage(db(c), code);
    const rows = await policiesFor(db(c), code);
    return c.json({ policies: rows.map(({ updatedAt: _u, ...p }) => p) }, 200);
  });
}
