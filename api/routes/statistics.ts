// Alert statistics: per rule for administrators (raised, in progress, confirmed, dismissed by
// reason → measured precision), and public counts per township (counts only, never the alerts).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ruleStatistics, townshipAlertCounts, type RuleStatistics } from '../../db/alert-stats.ts';
import { DomainError } from '../../db/errors.ts';
import { getRegion, inScope, NATIONWIDE } from '../../db/regions.ts';
import { dismissalReasons } from '../../db/schema.ts';
import { rules } from '../../jobs/rules/index.ts';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { errors, json, RegionCode } from '../schemas.ts';

const admins = access({ who: ['admin'] });
const anyone = access({ who: 'anyone' });

const Count = z.number().int().min(0);
const Precision = z.number().min(0).max(1).nullable().openapi({ description: 'resolved / (resolved + dismissed); null while nothing is decided' });
const DismissedBy = z.object(Object.fromEntries(dismissalReasons.map((r) => [r, Count])) as Record<(typeof dismissalReasons)[number], typeof Count>);
const StatusCounts = z.object({
  raised: Count,
  open: Count,
  acknowledged: Count,
  investigating: Count,
  resolved: Count.openapi({ description: 'confirmed by an inspector' }),
  dismissed: Count,
  dismissedBy: DismissedBy,
  gone: Count.openapi({ description: 'no longer found by a later run (any status)' }),
  precision: Precision,
});
const RuleStatisticsSchema = StatusCounts.extend({
  rule: z.string(),
  title: z.object({ zh: z.string(), en: z.string() }),
  bySeverity: z.object({ high: StatusCounts, medium: StatusCounts, low: StatusCounts }),
}).openapi('RuleStatistics');

const AlertCountsSchema = z
  .object({
    raised: Count,
    open: Count,
    inProgress: Count.openapi({ description: 'acknowledged or under investigation' }),
    confirmed: Count.openapi({ description: 'resolved: confirmed by an inspector' }),
    dismissed: Count,
  })
  .openapi('AlertCounts');

const statistics = createRoute({
  method: 'get',
  path: '/checks/statistics',
  tags: ['checks'],
  summary: 'Per rule: alerts raised, open, in progress, confirmed, dismissed by reason, gone, and measured precision, within a region (default: the caller’s scope)',
  middleware: [admins] as const,
  request: { query: z.object({ region: RegionCode.optional().openapi({ param: { name: 'region', in: 'query' } }) }) },
  responses: {
    200: json(z.object({ region: z.string(), rules: z.array(RuleStatisticsSchema) }), 'Statistics per rule'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

const alertCounts = createRoute({
  method: 'get',
  path: '/public/regions/{code}/alert-counts',
  tags: ['public'],
  summary: 'How many alerts were raised and how they stand, per township of a county (a township: its own) — counts only, never the alerts',
  middleware: [anyone] as const,
  request: { params: z.object({ code: RegionCode.openapi({ param: { name: 'code', in: 'path' } }) }) },
  responses: {
    200: json(
      z.object({
        region: z.object({ code: RegionCode, name: z.string(), level: z.string() }),
        rows: z.array(z.object({ code: RegionCode, name: z.string(), level: z.string(), counts: AlertCountsSchema })),
        total: AlertCountsSchema,
      }),
      'Counts',
    ),
    400: errors[400],
    404: errors[404],
  },
});

const titled = (s: RuleStatistics) => {
  const rule = rules.find((r) => r.id === s.rule);
  return { ...s, title: rule ? rule.title : { zh: s.rule, en: s.rule } };
};

export function registerStatistics(app: OpenAPIHono<AppEnv>) {
  app.openapi(statistics, async (c) => {
    const db = c.var.deps.database.db;
    const actor = c.var.actor!;
    const region = c.req.valid('query').region ?? actor.scope;
    if (!inScope(actor.scope, region)) throw new DomainError('forbidden', 'out_of_scope', `无权查看本辖区以外的区划：${region}`);
    if (region !== NATIONWIDE && !(await getRegion(db, region))) throw new DomainError('not_found', 'region_unknown', `没有这个区划：${region}`);
    const list = await ruleStatistics(db, region, rules.map((r) => r.id));
    return c.json({ region, rules: list.map(titled) }, 200);
  });

  app.openapi(alertCounts, async (c) => {
    const db = c.var.deps.database.db;
    const { code } = c.req.valid('param');
    const region = await getRegion(db, code);
    if (!region) throw new DomainError('not_found', 'region_unknown', `没有这个区划：${code}`);
    const counts = await townshipAlertCounts(db, code);
    if (!counts) throw new DomainError('invalid', 'counts_per_township', '预警数量只按乡镇及以上区划公开');
    return c.json({ region: { code: region.code, name: region.name, level: region.level }, rows: counts.rows, total: counts.total }, 200);
  });
}
