// Alert statistics on the demo county after a real check run (asOf 2026-01-31): per rule (raised,
// by status, dismissed by the reason of the latest dismissal, gone, measured precision, per
// severity) for administrators within their scope, and the public per-township counts, which
// never carry an alert's title, summary or evidence.
import { asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ruleStatistics, townshipAlertCounts, type RuleStatistics } from '../../db/alert-stats.ts';
import { transitionAlert, type AlertStatus, type DismissalReason } from '../../db/alerts.ts';
import { systemActor } from '../../db/audit.ts';
import { queueRun } from '../../db/checks.ts';
import { alerts, dismissalReasons } from '../../db/schema.ts';
import { drainRuns } from '../../jobs/checks.ts';
import { rules } from '../../jobs/rules/index.ts';
import { ADMIN, useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });
const COUNTY = '519901000000';
const TOWNSHIP = '519901101000'; // 底洞镇
const OTHER_TOWNSHIP = '519901102000'; // 玉和镇
const AS_OF = '2026-01-31';

interface Known {
  id: string;
  rule: string;
  region: string;
  severity: 'high' | 'medium' | 'low';
  status: AlertStatus;
  reason: DismissalReason | null;
  gone: boolean;
}
/** What the test did, kept independently of the statistics under test. */
const model = new Map<string, Known>();
let clock = 0;
let chosenRule = '';
let countyAdmin = '';
let townshipAdmin = '';
let inspector = '';

const move = async (id: string, to: AlertStatus, reason?: DismissalReason) => {
  clock += 1000;
  await transitionAlert({ db: t.database.db, now: new Date(t.now.getTime() + clock), actor: systemActor('test'), input: { alertId: id, to, reason } });
  const known = model.get(id)!;
  known.status = to;
  known.reason = to === 'dismissed' ? reason! : null;
};

/** The statistics as the model says they should be, for a region prefix. */
function expected(prefix: string) {
  const out = new Map<string, { raised: number; open: number; acknowledged: number; investigating: number; resolved: number; dismissed: number; gone: number; by: Record<string, number> }>();
  for (const a of model.values()) {
    if (!a.region.startsWith(prefix)) continue;
    const e = out.get(a.rule) ?? { raised: 0, open: 0, acknowledged: 0, investigating: 0, resolved: 0, dismissed: 0, gone: 0, by: {} };
    e.raised++;
    e[a.status]++;
    if (a.gone) e.gone++;
    if (a.reason) e.by[a.reason] = (e.by[a.reason] ?? 0) + 1;
    out.set(a.rule, e);
  }
  return out;
}

function expectMatchesModel(stats: RuleStatistics[], prefix: string) {
  const want = expected(prefix);
  for (const s of stats) {
    const e = want.get(s.rule) ?? { raised: 0, open: 0, acknowledged: 0, investigating: 0, resolved: 0, dismissed: 0, gone: 0, by: {} };
    expect(
      { raised: s.raised, open: s.open, acknowledged: s.acknowledged, investigating: s.investigating, resolved: s.resolved, dismissed: s.dismissed, gone: s.gone },
      s.rule,
    ).toEqual({ raised: e.raised, open: e.open, acknowledged: e.acknowledged, investigating: e.investigating, resolved: e.resolved, dismissed: e.dismissed, gone: e.gone });
    expect(s.dismissedBy, s.rule).toEqual(Object.fromEntries(dismissalReasons.map((r) => [r, e.by[r] ?? 0])));
    expect(s.precision, s.rule).toBe(e.resolved + e.dismissed ? e.resolved / (e.resolved + e.dismissed) : null);
    // Per severity adds up to the rule.
    const sevs = Object.values(s.bySeverity);
    expect(sevs.reduce((n, x) => n + x.raised, 0), s.rule).toBe(s.raised);
    expect(sevs.reduce((n, x) => n + x.resolved, 0), s.rule).toBe(s.resolved);
    expect(sevs.reduce((n, x) => n + x.dismissed, 0), s.rule).toBe(s.dismissed);
  }
  expect(stats.filter((s) => s.raised > 0).map((s) => s.rule).sort()).toEqual([...want.keys()].sort());
}

beforeAll(async () => {
  const ctx = { db: t.database.db, now: t.now, actor: systemActor('test') };
  await queueRun({ ...ctx, input: { region: COUNTY, asOf: AS_OF } });
  expect(await drainRuns(t.database.db, () => t.now)).toBe(1);
  const rows = await t.database.db.select().from(alerts).orderBy(asc(alerts.id));
  for (const a of rows) {
    model.set(a.id, { id: a.id, rule: a.ruleId, region: a.regionCode, severity: a.severity, status: a.status, reason: null, gone: a.goneAt !== null });
  }
  // The rule with the most alerts in 底洞镇 gets a worked lifecycle.
  const perRule = new Map<string, number>();
  for (const a of model.values()) if (a.region.startsWith('519901101')) perRule.set(a.rule, (perRule.get(a.rule) ?? 0) + 1);
  chosenRule = [...perRule.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
  await t.addUser('stats-county', 'admin', COUNTY);
  await t.addUser('stats-didong', 'admin', TOWNSHIP);
  await t.addUser('stats-inspector', 'inspector', COUNTY);
  countyAdmin = await t.signIn('stats-county');
  townshipAdmin = await t.signIn('stats-didong');
  inspector = await t.signIn('stats-inspector');
}, 300_000);

describe('per-rule statistics', () => {
  it('counts every alert of a fresh run as raised and open, with no precision yet', async () => {
    expect(model.size).toBeGreaterThan(10);
    const stats = await ruleStatistics(t.database.db, COUNTY, rules.map((r) => r.id));
    expect(stats.map((s) => s.rule)).toEqual(rules.map((r) => r.id));
    expect(stats.reduce((n, s) => n + s.raised, 0)).toBe(model.size);
    for (const s of stats) {
      expect(s.open).toBe(s.raised);
      expect(s.precision).toBeNull();
    }
    expectMatchesModel(stats, '519901');
    console.table(stats.filter((s) => s.raised > 0).map((s) => ({ rule: s.rule, raised: s.raised, high: s.bySeverity.high.raised, medium: s.bySeverity.medium.raised, low: s.bySeverity.low.raised })));
  });

  it('counts confirmed, in progress and dismissed by the reason of the latest dismissal, and measures precision', async () => {
    const mine = [...model.values()].filter((a) => a.rule === chosenRule && a.region.startsWith('519901101'));
    expect(mine.length, `${chosenRule} in 底洞镇`).toBeGreaterThanOrEqual(5);
    const [a, b, c, d, e] = mine as [Known, Known, Known, Known, Known];
    // Another rule's alert in 底洞镇, taken under investigation.
    const f = [...model.values()].find((x) => x.region.startsWith('519901101') && x.rule !== chosenRule)!;
    await move(a.id, 'acknowledged');
    await move(a.id, 'investigating');
    await move(a.id, 'resolved');
    await move(b.id, 'resolved');
    await move(c.id, 'dismissed', 'false_positive');
    await move(d.id, 'dismissed', 'duplicate');
    await move(d.id, 'open'); // reopened, then dismissed again for another reason: counts under that one
    await move(d.id, 'dismissed', 'explained');
    await move(e.id, 'acknowledged');
    await move(f.id, 'investigating');
    // Another township's alert of some rule, dismissed: counts in the county, not in 底洞镇.
    const elsewhere = [...model.values()].find((x) => x.region.startsWith('519901102') && x.status === 'open' && x.rule !== chosenRule)!;
    await move(elsewhere.id, 'dismissed', 'below_materiality');

    const township = await ruleStatistics(t.database.db, TOWNSHIP, rules.map((r) => r.id));
    const chosen = township.find((s) => s.rule === chosenRule)!;
    expect(chosen).toMatchObject({
      raised: mine.length,
      open: mine.length - 5,
      acknowledged: 1,
      investigating: 0,
      resolved: 2,
      dismissed: 2,
      dismissedBy: { false_positive: 1, explained: 1, duplicate: 0, below_materiality: 0, other: 0 },
      precision: 0.5,
    });
    expectMatchesModel(township, '519901101');
    expect(township.reduce((n, s) => n + s.dismissedBy.below_materiality, 0)).toBe(0);

    const county = await ruleStatistics(t.database.db, COUNTY, rules.map((r) => r.id));
    expectMatchesModel(county, '519901');
    expect(county.reduce((n, s) => n + s.dismissed, 0)).toBe(3);
    expect(county.reduce((n, s) => n + s.dismissedBy.below_materiality, 0)).toBe(1);
    const other = county.find((s) => s.rule === elsewhere.rule)!;
    expect(other.dismissedBy.below_materiality).toBe(1);
  });

  it('counts alerts a later run no longer finds as gone, whatever their status', async () => {
    // A run as of mid-2025 over 底洞镇 with the chosen rule only: later findings are gone.
    const rule = rules.find((r) => r.id === chosenRule)!;
    await queueRun({ db: t.database.db, now: t.now, actor: systemActor('test'), input: { region: TOWNSHIP, asOf: '2025-03-31' } });
    await drainRuns(t.database.db, () => t.now, [rule]);
    const rows = await t.database.db.select({ id: alerts.id, goneAt: alerts.goneAt }).from(alerts).where(eq(alerts.ruleId, chosenRule));
    for (const r of rows) {
      const known = model.get(r.id);
      if (known) known.gone = r.goneAt !== null;
      else model.set(r.id, (await newKnown(r.id))!);
    }
    const gone = [...model.values()].filter((a) => a.gone).length;
    expect(gone).toBeGreaterThan(0);
    const stats = await ruleStatistics(t.database.db, COUNTY, rules.map((r) => r.id));
    expectMatchesModel(stats, '519901');
    expect(stats.find((s) => s.rule === chosenRule)!.gone).toBe(gone);
  });
});

async function newKnown(id: string): Promise<Known | null> {
  const [a] = await t.database.db.select().from(alerts).where(eq(alerts.id, id));
  return a ? { id: a.id, rule: a.ruleId, region: a.regionCode, severity: a.severity, status: a.status, reason: null, gone: a.goneAt !== null } : null;
}

describe('GET /api/v1/checks/statistics', () => {
  type Answer = { region: string; rules: (RuleStatistics & { title: { zh: string; en: string } })[] };

  it('gives an administrator every rule with its title for their scope by default', async () => {
    const res = await t.request('/api/v1/checks/statistics', { cookie: countyAdmin });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as Answer;
    expect(body.region).toBe(COUNTY);
    expect(body.rules.map((r) => [r.rule, r.title])).toEqual(rules.map((r) => [r.id, r.title]));
    expect(body.rules.map(({ title: _t, ...rest }) => rest)).toEqual(await ruleStatistics(t.database.db, COUNTY, rules.map((r) => r.id)));
    const chosen = body.rules.find((r) => r.rule === chosenRule)!;
    expect(chosen).toMatchObject({ resolved: 2, dismissed: 2, precision: 0.5 });
  });

  it('narrows to a region within the scope, and defaults to a township admin’s own township', async () => {
    const own = (await (await t.request('/api/v1/checks/statistics', { cookie: townshipAdmin })).json()) as Answer;
    expect(own.region).toBe(TOWNSHIP);
    const asked = (await (await t.request(`/api/v1/checks/statistics?region=${TOWNSHIP}`, { cookie: countyAdmin })).json()) as Answer;
    expect(asked).toEqual(own);
    expectMatchesModel(asked.rules, '519901101');
    const village = [...model.values()].find((a) => a.rule === chosenRule && a.region.startsWith('519901101') && a.region.length === 12 && !a.region.endsWith('000'))!.region;
    const one = (await (await t.request(`/api/v1/checks/statistics?region=${village}`, { cookie: townshipAdmin })).json()) as Answer;
    expectMatchesModel(one.rules, village);
  });

  it('refuses a region outside the scope (403), an unknown region (404), a bad code (400) and other roles (403)', async () => {
    const out = await t.request(`/api/v1/checks/statistics?region=${OTHER_TOWNSHIP}`, { cookie: townshipAdmin });
    expect(out.status).toBe(403);
    expect(await out.json()).toMatchObject({ error: { code: 'out_of_scope' } });
    const county = await t.request(`/api/v1/checks/statistics?region=${COUNTY}`, { cookie: townshipAdmin });
    expect(county.status).toBe(403);
    expect((await t.request('/api/v1/checks/statistics?region=519901101299', { cookie: townshipAdmin })).status).toBe(404);
    expect((await t.request('/api/v1/checks/statistics?region=5199', { cookie: townshipAdmin })).status).toBe(400);
    const role = await t.request('/api/v1/checks/statistics', { cookie: inspector });
    expect(role.status).toBe(403);
    expect(await role.json()).toMatchObject({ error: { code: 'role_forbidden' } });
    expect((await t.request('/api/v1/checks/statistics')).status).toBe(401);
  });
});

describe('public alert counts per township', () => {
  const fromModel = (prefix: string) => {
    const c = { raised: 0, open: 0, inProgress: 0, confirmed: 0, dismissed: 0 };
    for (const a of model.values()) {
      if (!a.region.startsWith(prefix)) continue;
      c.raised++;
      if (a.status === 'open') c.open++;
      else if (a.status === 'resolved') c.confirmed++;
      else if (a.status === 'dismissed') c.dismissed++;
      else c.inProgress++;
    }
    return c;
  };

  it('gives a county one row per township and the total, a township its own', async () => {
    const county = (await townshipAlertCounts(t.database.db, COUNTY))!;
    expect(county.rows.map((r) => r.code)).toEqual(['519901101000', '519901102000', '519901103000']);
    for (const row of county.rows) expect(row.counts, row.code).toEqual(fromModel(row.code.slice(0, 9)));
    expect(county.total).toEqual(fromModel('519901'));
    const didong = county.rows.find((r) => r.code === TOWNSHIP)!.counts;
    expect(didong.confirmed).toBe(2);
    expect(didong.dismissed).toBe(2);
    expect(didong.inProgress).toBe(2);
    const township = (await townshipAlertCounts(t.database.db, TOWNSHIP))!;
    expect(township.rows).toEqual([{ code: TOWNSHIP, name: '底洞镇', level: 'township', counts: didong }]);
    expect(await townshipAlertCounts(t.database.db, '519901101201')).toBeNull();
  });

  it('answers anyone through the API with counts only — no alert title, summary, village or entry', async () => {
    const res = await t.request(`/api/v1/public/regions/${COUNTY}/alert-counts`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { region: { code: string }; rows: { code: string; counts: unknown }[]; total: unknown };
    expect(body.region.code).toBe(COUNTY);
    expect(body.total).toEqual(fromModel('519901'));
    const all = await t.database.db.select().from(alerts);
    for (const a of all) {
      expect(text.includes(a.title), a.title).toBe(false);
      expect(text.includes(a.summary)).toBe(false);
      expect(text.includes(a.id)).toBe(false);
      for (const e of a.entries) expect(text.includes(e.voucherNo)).toBe(false);
    }
    expect(text).not.toMatch(/519901\d{3}[1-9]\d{2}/); // no village code
    expect(Object.keys(body)).toEqual(['region', 'rows', 'total']);
    const township = (await (await t.request(`/api/v1/public/regions/${TOWNSHIP}/alert-counts`)).json()) as { rows: unknown[] };
    expect(township.rows).toHaveLength(1);
  });

  it('answers 404 for an unknown region and 400 for a village', async () => {
    expect((await t.request('/api/v1/public/regions/519901109000/alert-counts')).status).toBe(404);
    const village = await t.request('/api/v1/public/regions/519901101201/alert-counts');
    expect(village.status).toBe(400);
    expect(await village.json()).toMatchObject({ error: { code: 'counts_per_township' } });
  });

  it('is what the signed-in admin sees too (the same counts for everyone)', async () => {
    const anon = await (await t.request(`/api/v1/public/regions/${COUNTY}/alert-counts`)).json();
    const signed = await (await t.request(`/api/v1/public/regions/${COUNTY}/alert-counts`, { cookie: (await t.signIn(ADMIN.username, ADMIN.password)) })).json();
    expect(signed).toEqual(anon);
  });
});
