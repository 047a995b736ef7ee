// Check runs and alerts through the API on the demo county: a run as of the sample's date,
// fingerprinted alerts that a second run updates instead of duplicating, scope, the lifecycle,
// a rule that throws (in its lookups or in the database), statistics for the planner, and two
// workers draining the same queue.
import { count, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertEvents, alerts } from '../../db/schema.ts';
import { drainRuns } from '../../jobs/checks.ts';
import { rules } from '../../jobs/rules/index.ts';
import { queryRows } from '../../jobs/rules/lib.ts';
import type { Rule } from '../../jobs/rules/rule.ts';
import { ADMIN, useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });
const AS_OF = '2026-01-31';
let admin = '';
let inspector = '';
let otherInspector = '';

type RunAnswer = { status: string; alertsOpened: number; alertsUpdated: number; failures: { rule: string }[] };
type AlertAnswer = { id: string; rule: string; village: string | null; region: string; status: string; summary: string; entries: { voucherNo: string }[] };

const runOnce = async (body: unknown, cookie = admin, ruleList?: readonly Rule[]) => {
  const res = await t.request('/api/v1/checks/runs', { method: 'POST', json: body, cookie });
  expect(res.status, await res.clone().text()).toBe(202);
  const { runId } = (await res.json()) as { runId: string };
  expect(((await (await t.request(`/api/v1/checks/runs/${runId}`, { cookie })).json()) as RunAnswer).status).toBe('queued');
  await drainRuns(t.database.db, () => t.now, ruleList);
  return (await (await t.request(`/api/v1/checks/runs/${runId}`, { cookie })).json()) as RunAnswer;
};
const allAlerts = async (cookie: string, query = '') => {
  const items: AlertAnswer[] = [];
  let cursor: string | null = null;
  do {
    const res = await t.request(`/api/v1/alerts?limit=50${query}${cursor ? `&cursor=${cursor}` : ''}`, { cookie });
    const page = (await res.json()) as { items: AlertAnswer[]; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
};

beforeAll(async () => {
  admin = await t.signIn(ADMIN.username, ADMIN.password);
  await t.addUser('jijian-didong', 'inspector', '519901101000');
  await t.addUser('jijian-yuhe', 'inspector', '519901102000');
  inspector = await t.signIn('jijian-didong');
  otherInspector = await t.signIn('jijian-yuhe');
});

describe('check runs', () => {
  let firstOpened = 0;

  it('runs every rule over the county as of a date and opens alerts with their evidence', async () => {
    const run = await runOnce({ asOf: AS_OF, region: '519901000000' });
    expect(run).toMatchObject({ status: 'done', failures: [] });
    expect(run.alertsOpened).toBeGreaterThan(5);
    firstOpened = run.alertsOpened;
    const cap = (await allAlerts(admin, '&rule=single-expense-cap')).find((a) => a.village === '519901101204');
    expect(cap?.entries.map((e) => e.voucherNo)).toContain('记-2025-07-651');
    expect(cap?.summary).toMatch(/¥[\d,]+\.\d{2}/);
  });

  it('updates the same alerts on a second run instead of duplicating them', async () => {
    const before = (await t.database.db.select({ n: count() }).from(alerts))[0]!.n;
    const run = await runOnce({ asOf: AS_OF, region: '519901000000' });
    expect(run).toMatchObject({ status: 'done', alertsOpened: 0, alertsUpdated: firstOpened });
    expect((await t.database.db.select({ n: count() }).from(alerts))[0]!.n).toBe(before);
  });

  it('shows inspectors only the alerts of their scope', async () => {
    const mine = await allAlerts(inspector);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((a) => a.region.startsWith('519901101'))).toBe(true);
    const theirs = await allAlerts(otherInspector);
    expect(theirs.every((a) => a.region.startsWith('519901102'))).toBe(true);
    const forbidden = await t.request('/api/v1/checks/runs', { method: 'POST', json: { asOf: AS_OF, region: '519901102000' }, cookie: inspector });
    expect(forbidden.status).toBe(403);
  });

  it('records a rule that throws and carries on with the others', async () => {
    const boom = { ...rules[0]!, id: 'boom', gather: async () => Promise.reject(new Error('数据库断开')) } as Rule;
    const run = await runOnce({ asOf: AS_OF, region: '519901101000' }, admin, [boom, ...rules]);
    expect(run.status).toBe('done');
    expect(run.failures).toEqual([{ rule: 'boom', message: '数据库断开' }]);
    expect(run.alertsUpdated).toBeGreaterThan(0);
  });

  it('records a rule whose query fails in the database and carries on with the others', async () => {
    // Its query is in the statement of every rule: the statement fails, each query then runs alone.
    const bad = { ...rules[1]!, id: 'bad-sql', query: () => sql`select 1 / (count(*) - count(*)) as x from spend` } as Rule;
    const run = await runOnce({ asOf: AS_OF, region: '519901101000' }, admin, [...rules.slice(0, 3), bad, ...rules.slice(3)]);
    expect(run.status).toBe('done');
    expect(run.failures).toEqual([{ rule: 'bad-sql', message: 'division by zero' }]);
    expect(run.alertsUpdated).toBeGreaterThan(0);
  });

  it('gives the planner statistics of tables never analyzed before it checks', async () => {
    // The embedded database has no autovacuum: a table loaded in bulk and never analyzed would
    // make the planner take the county's spending for a row or two.
    await t.database.db.execute(sql`update pg_class set reltuples = -1 where relname in ('ledger_entries', 'decisions')`);
    const run = await runOnce({ asOf: AS_OF, region: '519901101000' });
    expect(run).toMatchObject({ status: 'done', failures: [] });
    const rows = await queryRows<{ reltuples: number }>(
      t.database.db,
      sql`select reltuples from pg_class where relname in ('ledger_entries', 'decisions')`,
    );
    expect(rows.map((r) => Number(r.reltuples) > 0)).toEqual([true, true]);
  });

  it('lets two workers drain one queue without running a run twice', async () => {
    for (let i = 0; i < 3; i++) await t.request('/api/v1/checks/runs', { method: 'POST', json: { asOf: AS_OF, region: '519901103000' }, cookie: admin });
    const [a, b] = await Promise.all([drainRuns(t.database.db, () => t.now), drainRuns(t.database.db, () => t.now)]);
    expect(a + b).toBe(3);
  });
});

describe('alert lifecycle', () => {
  it('moves an alert open → acknowledged → investigating → dismissed (with a reason), each step recorded', async () => {
    const [alert] = await allAlerts(inspector, '&status=open');
    const move = (body: unknown, cookie = inspector) => t.request(`/api/v1/alerts/${alert!.id}/transitions`, { method: 'POST', json: body, cookie });
    expect((await move({ to: 'acknowledged', note: '已收到' })).status).toBe(200);
    expect((await move({ to: 'investigating' })).status).toBe(200);
    const noReason = await move({ to: 'dismissed' });
    expect(noReason.status).toBe(400);
    expect(await noReason.json()).toMatchObject({ error: { code: 'dismissal_reason_required' } });
    const dismissed = await move({ to: 'dismissed', reason: 'explained', note: '有会议纪要' });
    expect(await dismissed.json()).toMatchObject({ id: alert!.id, status: 'dismissed' });
    const backwards = await move({ to: 'investigating' });
    expect(backwards.status).toBe(409);
    const events = await t.database.db.select().from(alertEvents).where(eq(alertEvents.alertId, alert!.id));
    expect(events.map((e) => [e.fromStatus, e.toStatus, e.reason])).toEqual([
      ['open', 'acknowledged', null],
      ['acknowledged', 'investigating', null],
      ['investigating', 'dismissed', 'explained'],
    ]);
    // Out of scope, the alert does not exist for the caller.
    expect((await move({ to: 'open' }, otherInspector)).status).toBe(404);
  });
});
