// Checks and alerts for discipline inspectors (and administrators): queue a run, follow it,
// list alerts in scope, and move an alert through its lifecycle.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ageBuckets, alertDetail, alertJson, alertSeverities, listAlerts, transitionAlert } from '../../db/alerts.ts';
import { getRun, queueRun } from '../../db/checks.ts';
import { DomainError } from '../../db/errors.ts';
import { inScope } from '../../db/regions.ts';
import { alertStatuses, dismissalReasons } from '../../db/schema.ts';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { errors, json, RegionCode } from '../schemas.ts';

const inspectors = access({ who: ['inspector', 'admin'] });
const DateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD');

const AlertSchema = z
  .object({
    id: z.string(),
    rule: z.string(),
    ruleVersion: z.number().int(),
    paramsVersion: z.string(),
    village: z.string().nullable(),
    region: z.string(),
    period: z.string().nullable(),
    severity: z.enum(['high', 'medium', 'low']),
    status: z.enum(alertStatuses),
    title: z.string(),
    summary: z.string(),
    entries: z.array(z.object({ id: z.string(), voucherNo: z.string(), date: z.string(), amountFen: z.number().int() })),
    figures: z.record(z.string(), z.unknown()),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    goneAt: z.string().nullable(),
  })
  .openapi('Alert');


const postRun = createRoute({
  method: 'post',
  path: '/checks/runs',
  tags: ['checks'],
  summary: 'Queue a check run over a region (default: the caller’s scope) as of a date (reproducible)',
  middleware: [inspectors] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: z.strictObject({ asOf: DateSchema.optional(), region: RegionCode.optional() }) } } },
  },
  responses: { 202: json(z.object({ runId: z.string() }), 'Queued'), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] },
});

const getRunRoute = createRoute({
  method: 'get',
  path: '/checks/runs/{id}',
  tags: ['checks'],
  summary: 'A check run’s status and counts',
  middleware: [inspectors] as const,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: json(
      z.object({
        status: z.enum(['queued', 'running', 'done', 'failed']),
        alertsOpened: z.number().int(),
        alertsUpdated: z.number().int(),
        durationMs: z.number().int().nullable(),
        asOf: z.string(),
        region: z.string(),
        failures: z.array(z.object({ rule: z.string(), message: z.string() })),
      }),
      'The run',
    ),
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

const q = (name: string) => ({ param: { name, in: 'query' as const } });
const getAlerts = createRoute({
  method: 'get',
  path: '/alerts',
  tags: ['checks'],
  summary: 'Alerts within the caller’s scope, newest first',
  middleware: [inspectors] as const,
  request: {
    query: z.object({
      region: RegionCode.optional().openapi(q('region')),
      village: RegionCode.optional().openapi(q('village')),
      township: RegionCode.optional().openapi(q('township')),
      rule: z.string().max(50).optional().openapi(q('rule')),
      status: z.enum(alertStatuses).optional().openapi(q('status')),
      severity: z.enum(alertSeverities).optional().openapi(q('severity')),
      age: z.enum(ageBuckets).optional().openapi({ ...q('age'), description: 'First seen: week ≤ 7 days ago, month 8–30 days, older > 30 days' }),
      cursor: z.string().max(200).optional().openapi(q('cursor')),
      limit: z.coerce.number().int().min(1).max(200).default(50).openapi(q('limit')),
    }),
  },
  responses: { 200: json(z.object({ items: z.array(AlertSchema), nextCursor: z.string().nullable() }), 'Alerts'), 400: errors[400], 401: errors[401], 403: errors[403] },
});

const AlertDetailSchema = AlertSchema.extend({
  villageName: z.string().nullable(),
  regionName: z.string(),
  history: z.array(
    z.object({
      at: z.string(),
      actor: z.string().nullable(),
      from: z.enum(alertStatuses).nullable(),
      to: z.enum(alertStatuses),
      reason: z.enum(dismissalReasons).nullable(),
      note: z.string().nullable(),
    }),
  ),
}).openapi('AlertDetail');

const getAlertRoute = createRoute({
  method: 'get',
  path: '/alerts/{id}',
  tags: ['checks'],
  summary: 'One alert within the caller’s scope, with its history (404 outside the scope)',
  middleware: [inspectors] as const,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: json(AlertDetailSchema, 'The alert'), 401: errors[401], 403: errors[403], 404: errors[404] },
});

const postTransition = createRoute({
  method: 'post',
  path: '/alerts/{id}/transitions',
  tags: ['checks'],
  summary: 'Move an alert: open → acknowledged → investigating → resolved | dismissed (dismissals need a reason)',
  middleware: [inspectors] as const,
  request: {
    params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({ to: z.enum(alertStatuses), reason: z.enum(dismissalReasons).optional(), note: z.string().max(2000).optional() }),
        },
      },
    },
  },
  responses: { 200: json(AlertSchema, 'The alert'), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 409: errors[409] },
});

export function registerChecks(app: OpenAPIHono<AppEnv>) {
  const ctx = (c: { var: AppEnv['Variables'] }) => ({ db: c.var.deps.database.db, now: c.var.deps.now(), actor: c.var.actor!, requestId: c.var.requestId });

  app.openapi(postRun, async (c) => c.json(await queueRun({ ...ctx(c), dispatch: c.var.deps.dispatch, input: c.req.valid('json') }), 202));

  app.openapi(getRunRoute, async (c) => {
    const run = await getRun(c.var.deps.database.db, c.req.valid('param').id);
    if (!run || !inScope(c.var.actor!.scope, run.regionCode)) throw new DomainError('not_found', 'run_unknown', '没有这次检查');
    return c.json(
      {
        status: run.status,
        alertsOpened: run.alertsOpened,
        alertsUpdated: run.alertsUpdated,
        durationMs: run.durationMs,
        asOf: run.asOf,
        region: run.regionCode,
        failures: run.failures,
      },
      200,
    );
  });

  app.openapi(getAlerts, async (c) => {
    const { cursor, limit, ...filters } = c.req.valid('query');
    const page = await listAlerts(c.var.deps.database.db, c.var.actor!.scope, { ...filters, now: c.var.deps.now() }, { cursor, limit });
    return c.json({ items: page.items.map((a) => alertJson(a)), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(getAlertRoute, async (c) => {
    const detail = await alertDetail(c.var.deps.database.db, c.var.actor!.scope, c.req.valid('param').id);
    // Outside the caller's scope an alert does not exist for them.
    if (!detail) throw new DomainError('not_found', 'alert_unknown', '没有这条预警');
    return c.json(
      {
        ...alertJson(detail.alert),
        villageName: detail.village?.name ?? null,
        regionName: detail.region.name,
        history: detail.history.map((h) => ({ at: h.at.toISOString(), actor: h.actorName, from: h.fromStatus, to: h.toStatus, reason: h.reason, note: h.note })),
      },
      200,
    );
  });

  app.openapi(postTransition, async (c) => {
    const alert = await transitionAlert({ ...ctx(c), input: { alertId: c.req.valid('param').id, ...c.req.valid('json') } });
    return c.json(alertJson(alert), 200);
  });
}
