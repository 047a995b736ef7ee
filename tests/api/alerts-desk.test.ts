// The inspector's desk on the demo county: the queue's filters (rule, severity, status,
// township, village, age), the facet counts for the current filter within the viewer's scope,
// an alert's detail (names, evidence joined to the ledger with voucher pages, history with who,
// chart figures), GET /api/v1/alerts/{id} with its 404 outside the scope, and the chart.
import { eq, inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ageBucketOf,
  ageBuckets,
  alertDetail,
  alertFacets,
  chartFiguresOf,
  countActiveAlerts,
  listAlerts,
  townshipOf,
  type Alert,
  type AlertFilters,
} from '../../db/alerts.ts';
import { systemActor } from '../../db/audit.ts';
import { queueRun } from '../../db/checks.ts';
import { alerts, alertStatuses } from '../../db/schema.ts';
import { drainRuns } from '../../jobs/checks.ts';
import { alertChart } from '../../site/lib/alert-chart.ts';
import { ADMIN, useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });
const COUNTY = '519901000000';
const DIDONG = '519901101000';
const YUHE = '519901102000';
const CAP_VILLAGE = '519901101204';
const DAY = 86_400_000;

let admin = '';
let inspector = '';
let otherInspector = '';
let accountant = '';
let inspectorName = '';

/** Every alert of a scope and filter, through the keyset pages. */
async function everything(scope: string, filters: AlertFilters = {}, limit = 40): Promise<Alert[]> {
  const out: Alert[] = [];
  let cursor: string | undefined;
  do {
    const page = await listAlerts(t.database.db, scope, { now: t.now, ...filters }, { cursor, limit });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

beforeAll(async () => {
  admin = await t.signIn(ADMIN.username, ADMIN.password);
  await t.addUser('desk-didong', 'inspector', DIDONG);
  inspectorName = 'desk-didong';
  await t.addUser('desk-yuhe', 'inspector', YUHE);
  await t.addUser('desk-kuaiji', 'accountant', DIDONG);
  inspector = await t.signIn('desk-didong');
  otherInspector = await t.signIn('desk-yuhe');
  accountant = await t.signIn('desk-kuaiji');
  await queueRun({ db: t.database.db, now: t.now, actor: systemActor('test'), input: { region: COUNTY, asOf: '2026-01-31' } });
  expect(await drainRuns(t.database.db, () => t.now)).toBe(1);
  // Age some alerts: the run saw everything "now"; pretend a few were first seen 10 and 40 days ago.
  const all = await everything(COUNTY);
  const didong = all.filter((a) => a.regionCode.startsWith('519901101'));
  await t.database.db
    .update(alerts)
    .set({ firstSeenAt: new Date(t.now.getTime() - 10 * DAY) })
    .where(inArray(alerts.id, didong.slice(0, 3).map((a) => a.id)));
  await t.database.db
    .update(alerts)
    .set({ firstSeenAt: new Date(t.now.getTime() - 40 * DAY) })
    .where(inArray(alerts.id, didong.slice(3, 5).map((a) => a.id)));
}, 300_000);

describe('the queue: filters and facet counts', () => {
  it('pages through every alert once, newest first, and buckets ages as people count them', async () => {
    const all = await everything(COUNTY, {}, 7);
    expect(all.length).toBeGreaterThan(20);
    expect(new Set(all.map((a) => a.id)).size).toBe(all.length);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.firstSeenAt.getTime()).toBeGreaterThanOrEqual(all[i]!.firstSeenAt.getTime());
    expect(ageBucketOf(new Date(t.now.getTime() - 7 * DAY), t.now)).toBe('week');
    expect(ageBucketOf(new Date(t.now.getTime() - 8 * DAY), t.now)).toBe('month');
    expect(ageBucketOf(new Date(t.now.getTime() - 30 * DAY), t.now)).toBe('month');
    expect(ageBucketOf(new Date(t.now.getTime() - 31 * DAY), t.now)).toBe('older');
    expect(townshipOf('519901101204')).toBe(DIDONG);
    expect(townshipOf(DIDONG)).toBe(DIDONG);
    expect(townshipOf(COUNTY)).toBeNull();
  });

  it('filters by age bucket, and the age facet agrees with the list', async () => {
    const facets = await alertFacets(t.database.db, COUNTY, { now: t.now });
    expect(facets.age).toEqual({ week: facets.total - 5, month: 3, older: 2 });
    for (const age of ageBuckets) {
      const list = await everything(COUNTY, { age });
      expect(list.length, age).toBe(facets.age[age]);
      for (const a of list) expect(ageBucketOf(a.firstSeenAt, t.now)).toBe(age);
    }
    // Seen from 25 days later, the week-old ones are in 8–30 and the 10-day-old ones past 30.
    const later = new Date(t.now.getTime() + 25 * DAY);
    expect((await alertFacets(t.database.db, COUNTY, { now: later })).age).toEqual({ week: 0, month: facets.total - 5, older: 5 });
  });

  it('counts per status, severity, rule and township; each facet ignores only its own filter', async () => {
    const all = await everything(COUNTY);
    const facets = await alertFacets(t.database.db, COUNTY, { now: t.now });
    expect(facets.total).toBe(all.length);
    expect(facets.status.open).toBe(all.length);
    expect(Object.values(facets.status).reduce((s, n) => s + n, 0)).toBe(all.length);
    expect(Object.values(facets.severity).reduce((s, n) => s + n, 0)).toBe(all.length);
    const byRule = new Map<string, number>();
    for (const a of all) byRule.set(a.ruleId, (byRule.get(a.ruleId) ?? 0) + 1);
    expect(facets.rule).toEqual(Object.fromEntries(byRule));
    // Townships: the county-level alerts (if any) belong to none.
    const inTownships = all.filter((a) => townshipOf(a.regionCode) !== null).length;
    expect(facets.township.reduce((s, x) => s + x.count, 0)).toBe(inTownships);
    const didong = facets.township.find((x) => x.code === DIDONG);
    expect(didong?.name).toBe('底洞镇');
    expect(didong?.count).toBe((await everything(COUNTY, { township: DIDONG })).length);

    // With a rule chosen: the total and every other facet narrow to it, the rule facet does not.
    const rule = 'single-expense-cap';
    const one = await alertFacets(t.database.db, COUNTY, { now: t.now, rule });
    expect(one.total).toBe(byRule.get(rule));
    expect(one.rule).toEqual(facets.rule);
    expect(Object.values(one.severity).reduce((s, n) => s + n, 0)).toBe(byRule.get(rule));
    const ruleList = await everything(COUNTY, { rule });
    expect(ruleList.every((a) => a.ruleId === rule)).toBe(true);
    expect(ruleList.length).toBe(byRule.get(rule));

    // Severity and village filters.
    for (const severity of ['high', 'medium', 'low'] as const) {
      const list = await everything(COUNTY, { severity });
      expect(list.length).toBe(facets.severity[severity]);
      expect(list.every((a) => a.severity === severity)).toBe(true);
    }
    const village = await everything(COUNTY, { village: CAP_VILLAGE });
    expect(village.length).toBeGreaterThan(0);
    expect(village.every((a) => a.villageCode === CAP_VILLAGE)).toBe(true);
  });

  it('counts only within the viewer’s scope, whatever the filter asks for', async () => {
    const facets = await alertFacets(t.database.db, DIDONG, { now: t.now });
    const mine = await everything(DIDONG);
    expect(facets.total).toBe(mine.length);
    expect(mine.every((a) => a.regionCode.startsWith('519901101'))).toBe(true);
    expect(facets.township.map((x) => x.code)).toEqual([DIDONG]);
    // Asking for another township from inside Didong's scope finds nothing.
    expect((await alertFacets(t.database.db, DIDONG, { now: t.now, township: YUHE })).total).toBe(0);
    expect(await everything(DIDONG, { township: YUHE })).toEqual([]);
    expect(await countActiveAlerts(t.database.db, DIDONG)).toBe(mine.length);
  });

  it('GET /api/v1/alerts takes severity, township and age too', async () => {
    const res = await t.request(`/api/v1/alerts?township=${DIDONG}&severity=high&age=week&limit=200`, { cookie: admin });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { region: string; severity: string; firstSeenAt: string }[] };
    const expected = await everything(COUNTY, { township: DIDONG, severity: 'high', age: 'week' });
    expect(body.items.length).toBe(expected.length);
    expect(body.items.every((a) => a.region.startsWith('519901101') && a.severity === 'high')).toBe(true);
    expect((await t.request('/api/v1/alerts?age=fortnight', { cookie: admin })).status).toBe(400);
    expect((await t.request('/api/v1/alerts?cursor=bm9uc2Vuc2U', { cookie: admin })).status).toBe(400);
    // Another township's inspector sees none of Didong's alerts even when asking for them.
    const other = (await (await t.request(`/api/v1/alerts?township=${DIDONG}`, { cookie: otherInspector })).json()) as { items: unknown[] };
    expect(other.items).toEqual([]);
  });
});

describe('an alert in detail', () => {
  let capId = '';

  it('joins the evidence to the ledger with its voucher pages, names the places and picks the chart figures', async () => {
    const cap = (await everything(DIDONG, { rule: 'single-expense-cap', village: CAP_VILLAGE })).find((a) =>
      a.entries.some((e) => e.voucherNo === '记-2025-07-651'),
    );
    expect(cap).toBeDefined();
    capId = cap!.id;
    const detail = await alertDetail(t.database.db, DIDONG, capId);
    expect(detail).not.toBeNull();
    expect(detail!.village).toEqual({ code: CAP_VILLAGE, name: expect.any(String) });
    expect(detail!.township).toEqual({ code: DIDONG, name: '底洞镇' });
    const entry = detail!.entries.find((e) => e.voucherNo === '记-2025-07-651')!;
    expect(entry.ledger).toMatchObject({ villageCode: CAP_VILLAGE, direction: 'expense', published: true });
    expect(entry.ledger!.summary.length).toBeGreaterThan(0);
    expect(entry.ledger!.accountName.length).toBeGreaterThan(0);
    expect(Number.isSafeInteger(entry.ledger!.amountFen)).toBe(true);
    expect(entry.ledger!.vouchers.length).toBeGreaterThan(0);
    const page = entry.ledger!.vouchers[0]!;
    expect(page.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(page.page).toBe(1);
    if (page.mime !== 'application/pdf') expect(page.hasPublicCopy).toBe(true);
    // The chart: the amount against the cap, from the figures the rule wrote.
    const f = cap!.figures as { amountFen: number; capFen: number };
    expect(detail!.chart).toEqual({
      unit: 'fen',
      bars: [
        { key: 'amountFen', value: f.amountFen, role: 'value' },
        { key: 'capFen', value: f.capFen, role: 'limit' },
      ],
    });
    expect(f.amountFen).toBeGreaterThan(f.capFen);
    expect(detail!.history).toEqual([]);
  });

  it('is unknown outside the viewer’s scope, and to a malformed id', async () => {
    expect(await alertDetail(t.database.db, YUHE, capId)).toBeNull();
    expect(await alertDetail(t.database.db, DIDONG, 'not-a-uuid')).toBeNull();
    expect(await alertDetail(t.database.db, DIDONG, '00000000-0000-4000-8000-00000000abcd')).toBeNull();
    expect((await t.request(`/api/v1/alerts/${capId}`, { cookie: otherInspector })).status).toBe(404);
    expect((await t.request(`/api/v1/alerts/${capId}`, { cookie: accountant })).status).toBe(403);
    expect((await t.request('/api/v1/alerts/00000000-0000-4000-8000-00000000abcd', { cookie: inspector })).status).toBe(404);
  });

  it('records each step with who took it, and GET /api/v1/alerts/{id} shows the history', async () => {
    const before = await countActiveAlerts(t.database.db, DIDONG);
    for (const body of [{ to: 'acknowledged' }, { to: 'investigating', note: '已调取合同' }, { to: 'dismissed', reason: 'explained', note: '有村民代表会议决议' }]) {
      const res = await t.request(`/api/v1/alerts/${capId}/transitions`, { method: 'POST', json: body, cookie: inspector });
      expect(res.status, await res.clone().text()).toBe(200);
    }
    const detail = (await alertDetail(t.database.db, DIDONG, capId))!;
    expect(detail.alert.status).toBe('dismissed');
    expect(detail.history.map((h) => [h.fromStatus, h.toStatus, h.reason, h.actorName])).toEqual([
      ['open', 'acknowledged', null, inspectorName],
      ['acknowledged', 'investigating', null, inspectorName],
      ['investigating', 'dismissed', 'explained', inspectorName],
    ]);
    expect(detail.history[2]!.note).toBe('有村民代表会议决议');
    expect(await countActiveAlerts(t.database.db, DIDONG)).toBe(before - 1);
    const facets = await alertFacets(t.database.db, DIDONG, { now: t.now });
    expect(facets.status.dismissed).toBe(1);
    expect((await everything(DIDONG, { status: 'dismissed' })).map((a) => a.id)).toEqual([capId]);

    const res = await t.request(`/api/v1/alerts/${capId}`, { cookie: inspector });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; status: string; villageName: string; regionName: string; history: { actor: string; from: string; to: string; reason: string | null; note: string | null }[] };
    expect(body).toMatchObject({ id: capId, status: 'dismissed', regionName: detail.region.name });
    expect(body.history.map((h) => `${h.from}>${h.to}`)).toEqual(['open>acknowledged', 'acknowledged>investigating', 'investigating>dismissed']);
    expect(body.history[2]).toMatchObject({ actor: inspectorName, reason: 'explained', note: '有村民代表会议决议' });
    // Admin sees it as well (scope: everything).
    expect((await t.request(`/api/v1/alerts/${capId}`, { cookie: admin })).status).toBe(200);
    const [row] = await t.database.db.select({ status: alerts.status }).from(alerts).where(eq(alerts.id, capId));
    expect(row?.status).toBe('dismissed');
  });
});

describe('chart figures and the chart', () => {
  it('compares each rule’s figure with its line, or gives none', () => {
    expect(chartFiguresOf('peer-outlier', { totalFen: 500_00, medianFen: 100_00, z: 5 })).toEqual({
      unit: 'fen',
      bars: [
        { key: 'totalFen', value: 500_00, role: 'value' },
        { key: 'medianFen', value: 100_00, role: 'reference' },
      ],
    });
    expect(chartFiguresOf('round-amounts', { share: 0.8, threshold: 0.5 })?.unit).toBe('ratio');
    expect(chartFiguresOf('duplicate-invoice', { count: 2 })).toBeNull();
    expect(chartFiguresOf('single-expense-cap', { amountFen: 100 })).toBeNull();
    expect(alertStatuses).toContain('dismissed');
  });

  it('draws an SVG without scripts or inline styles, with a text alternative naming the figures', () => {
    const chart = alertChart('zh', 'single-expense-cap', {
      unit: 'fen',
      bars: [
        { key: 'amountFen', value: 126_000, role: 'value' },
        { key: 'capFen', value: 50_000, role: 'limit' },
      ],
    });
    expect(chart.svg).toMatch(/^<svg role="img" aria-label="[^"]*¥1,260\.00[^"]*¥500\.00/);
    expect(chart.label).toBe('条形图：金额 ¥1,260.00，高于限额 ¥500.00。');
    expect(chart.svg).not.toMatch(/style=|<script|<style/);
    expect(chart.table.rows).toEqual([
      ['金额', '¥1,260.00', '本预警'],
      ['限额', '¥500.00', '界限'],
    ]);
    const en = alertChart('en', 'round-amounts', {
      unit: 'ratio',
      bars: [
        { key: 'share', value: 0.8, role: 'value' },
        { key: 'threshold', value: 0.5, role: 'limit' },
      ],
    });
    expect(en.label).toBe('Bar chart: share 80%, above the threshold of 50%.');
  });
});
