// The check rules and their parameters: what each rule is (for inspectors and administrators),
// and, for administrators, the parameters in force at a region (with where each value comes
// from and the versions set at the region and above it), and setting a region's own values.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../../db/errors.ts';
import { getRegion } from '../../db/regions.ts';
import { checkParams, explainParams, parameterHistory, paramsJsonSchema, setRuleParameters } from '../../db/thresholds.ts';
import { ruleById, rules } from '../../jobs/rules/index.ts';
import type { Rule } from '../../jobs/rules/rule.ts';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { errors, json, RegionCode } from '../schemas.ts';

const Json = z.record(z.string(), z.unknown());

const RuleSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    title: z.object({ zh: z.string(), en: z.string() }),
    description: z.object({ zh: z.string(), en: z.string() }),
    basis: z.string(),
    severity: z.enum(['high', 'medium', 'low']),
    defaults: Json.openapi({ description: 'The parameters’ defaults (money in integer fen)' }),
    paramsSchema: Json.openapi({ description: 'JSON Schema of the parameters a region may set' }),
  })
  .openapi('Rule');

const SettingSchema = z
  .object({
    region: z.string(),
    regionName: z.string(),
    version: z.number().int(),
    params: Json.openapi({ description: 'What this version set ({}: inherit everything)' }),
    setBy: z.string().nullable(),
    setAt: z.string(),
    note: z.string().nullable(),
  })
  .openapi('RuleParameterSetting');

const RuleParametersSchema = z
  .object({
    rule: z.string(),
    version: z.string().openapi({ description: 'The settings in force, as alerts record them ("default" when none)' }),
    params: Json.openapi({ description: 'The effective parameters at the region' }),
    values: z.array(
      z.object({
        path: z.string(),
        value: z.unknown(),
        from: z.string().openapi({ description: 'The region code whose setting gives the value, or "default"' }),
        version: z.number().int().nullable(),
      }),
    ),
    own: z.object({ version: z.number().int(), params: Json }).nullable(),
    history: z.array(SettingSchema),
  })
  .openapi('RuleParameters');

const listRules = createRoute({
  method: 'get',
  path: '/rules',
  tags: ['checks'],
  summary: 'The check rules: identity, basis, severity, parameter defaults and schema',
  middleware: [access({ who: ['inspector', 'admin'] })] as const,
  responses: { 200: json(z.object({ items: z.array(RuleSchema) }), 'The rules'), 401: errors[401], 403: errors[403] },
});

const RegionParams = z.object({ code: RegionCode.openapi({ param: { name: 'code', in: 'path' } }) });
const admins = access({ who: ['admin'], scopeParam: 'code' });

const getParameters = createRoute({
  method: 'get',
  path: '/regions/{code}/rule-parameters',
  tags: ['checks'],
  summary: 'Each rule’s parameters in force at a region, where each value comes from, and the versions set at the region and above',
  middleware: [admins] as const,
  request: { params: RegionParams },
  responses: {
    200: json(z.object({ region: z.string(), rules: z.array(RuleParametersSchema) }), 'The parameters'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

const putParameters = createRoute({
  method: 'put',
  path: '/regions/{code}/rule-parameters/{ruleId}',
  tags: ['checks'],
  summary: 'Set a rule’s parameters for a region (a new version; {} restores the inherited values)',
  middleware: [admins] as const,
  request: {
    params: RegionParams.extend({ ruleId: z.string().max(100).openapi({ param: { name: 'ruleId', in: 'path' } }) }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            params: Json.openapi({ description: 'Only what this region sets; the rest is inherited. Money in integer fen.' }),
            note: z.string().max(500).optional(),
          }),
        },
      },
    },
  },
  responses: { 200: json(z.object({ version: z.number().int() }), 'The new version'), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] },
});

const ruleOr404 = (id: string): Rule => {
  const rule = ruleById(id);
  if (!rule) throw new DomainError('not_found', 'rule_unknown', `没有这条检查规则：${id}`);
  return rule;
};

export function registerRules(app: OpenAPIHono<AppEnv>) {
  app.openapi(listRules, (c) => {
    const items = rules.map((r) => ({
      id: r.id,
      version: r.version,
      title: r.title,
      description: r.description,
      basis: r.basis,
      severity: r.severity,
      defaults: r.params.parse({}) as Record<string, unknown>,
      paramsSchema: paramsJsonSchema(r.params),
    }));
    return c.json({ items }, 200);
  });

  app.openapi(getParameters, async (c) => {
    const { code } = c.req.valid('param');
    const db = c.var.deps.database.db;
    if (!(await getRegion(db, code))) throw new DomainError('not_found', 'region_unknown', `没有这个区划：${code}`);
    const [explained, history] = await Promise.all([
      explainParams(
        db,
        code,
        rules.map((r) => ({ id: r.id, parse: (raw: Record<string, unknown>) => r.params.parse(raw) as Record<string, unknown> })),
      ),
      parameterHistory(db, code),
    ]);
    return c.json(
      {
        region: code,
        rules: rules.map((r) => {
          const e = explained.get(r.id)!;
          return {
            rule: r.id,
            version: e.version,
            params: e.params,
            values: e.values,
            own: e.own,
            history: history
              .filter((h) => h.ruleId === r.id)
              .map((h) => ({
                region: h.regionCode,
                regionName: h.regionName,
                version: h.version,
                params: h.params,
                setBy: h.setBy,
                setAt: h.setAt.toISOString(),
                note: h.note,
              })),
          };
        }),
      },
      200,
    );
  });

  app.openapi(putParameters, async (c) => {
    const { code, ruleId } = c.req.valid('param');
    const rule = ruleOr404(ruleId);
    const body = c.req.valid('json');
    const result = await setRuleParameters({
      db: c.var.deps.database.db,
      now: c.var.deps.now(),
      actor: c.var.actor!,
      requestId: c.var.requestId,
      input: { ruleId: rule.id, regionCode: code, params: body.params, note: body.note },
      validate: (merged, own) => checkParams(rule.params, merged, own),
    });
    return c.json(result, 200);
  });
}
