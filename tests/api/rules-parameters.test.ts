// Rule thresholds through the API on the demo county: the rules and their defaults, parameters
// set at the county, overridden at a township and inherited by its villages, versions and their
// history, refusals that store nothing, scope, the audit trail, restoring the inherited values,
// and a check run that uses what was set (its alerts naming the new version).
import { and, count, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { alerts, auditLog, ruleParameters } from '../../db/schema.ts';
import { drainRuns } from '../../jobs/checks.ts';
import { ruleById } from '../../jobs/rules/index.ts';
import { ADMIN, useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });
const COUNTY = '519901000000';
const TOWNSHIP = '519901101000'; // 底洞镇
const VILLAGE = '519901101201'; // 沙湾村
const OTHER_TOWNSHIP = '519901102000'; // 玉和镇
const OTHER_VILLAGE = '519901102201';
const AS_OF = '2026-01-31';

let admin = '';
let townshipAdmin = '';
let inspector = '';

type Value = { path: string; value: unknown; from: string; version: number | null };
type Setting = { region: string; regionName: string; version: number; params: Record<string, unknown>; setBy: string | null; setAt: string; note: string | null };
type RuleParams = { rule: string; version: string; params: Record<string, unknown>; values: Value[]; own: { version: number; params: Record<string, unknown> } | null; history: Setting[] };

/** Each change a minute after the previous one (the history is ordered by time). */
const put = (code: string, ruleId: string, body: unknown, cookie = admin) => {
  t.now = new Date(t.now.getTime() + 60_000);
  return t.request(`/api/v1/regions/${code}/rule-parameters/${ruleId}`, { method: 'PUT', json: body, cookie });
};
const putOk = async (code: string, ruleId: string, body: unknown, cookie = admin) => {
  const res = await put(code, ruleId, body, cookie);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { version: number }).version;
};
const paramsAt = async (code: string, ruleId: string, cookie = admin): Promise<RuleParams> => {
  const res = await t.request(`/api/v1/regions/${code}/rule-parameters`, { cookie });
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as { region: string; rules: RuleParams[] };
  expect(body.region).toBe(code);
  expect(body.rules).toHaveLength(15);
  return body.rules.find((r) => r.rule === ruleId)!;
};
const valueOf = (r: RuleParams, path: string) => r.values.find((v) => v.path === path);
const storedRows = async () => (await t.database.db.select({ n: count() }).from(ruleParameters))[0]!.n;

beforeAll(async () => {
  admin = await t.signIn(ADMIN.username, ADMIN.password);
  await t.addUser('admin-didong', 'admin', TOWNSHIP);
  await t.addUser('jijian-county', 'inspector', COUNTY);
  townshipAdmin = await t.signIn('admin-didong');
  inspector = await t.signIn('jijian-county');
});

describe('rules and their parameters', () => {
  it('lists the fifteen rules with their defaults and parameter schema', async () => {
    const res = await t.request('/api/v1/rules', { cookie: inspector });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as {
      items: { id: string; version: number; title: { zh: string }; basis: string; severity: string; defaults: Record<string, unknown>; paramsSchema: { type: string; properties: Record<string, unknown> } }[];
    };
    expect(items).toHaveLength(15);
    const cap = items.find((r) => r.id === 'single-expense-cap')!;
    expect(cap).toMatchObject({ version: 1, title: { zh: '单笔支出超限额' }, severity: expect.any(String) as string });
    expect(cap.basis.length).toBeGreaterThan(5);
    expect(cap.defaults).toEqual({ caps: { '51304': 50_000 } });
    expect(cap.paramsSchema.type).toBe('object');
    expect(Object.keys(cap.paramsSchema.properties)).toEqual(['caps']);
    expect(items.find((r) => r.id === 'cash-over-limit')!.defaults).toEqual({ limitFen: 100_000 });
    expect(items.find((r) => r.id === 'publication-overdue')!.defaults).toEqual({ deadlineDay: 15 });
  });

  it('shows the defaults where nothing is set', async () => {
    const r = await paramsAt(VILLAGE, 'cash-over-limit');
    expect(r).toMatchObject({ version: 'default', params: { limitFen: 100_000 }, own: null, history: [] });
    expect(valueOf(r, 'limitFen')).toEqual({ path: 'limitFen', value: 100_000, from: 'default', version: null });
  });

  it('sets at the county, overrides at a township, and the villages inherit, key by key', async () => {
    expect(await putOk(COUNTY, 'cash-over-limit', { params: { limitFen: 200_000 }, note: '县里统一放宽' })).toBe(1);
    expect(await putOk(TOWNSHIP, 'cash-over-limit', { params: { limitFen: 150_000 } }, townshipAdmin)).toBe(1);
    expect(await putOk(COUNTY, 'cash-over-limit', { params: { limitFen: 250_000 }, note: '再次调整' })).toBe(2);

    const village = await paramsAt(VILLAGE, 'cash-over-limit');
    expect(village.params).toEqual({ limitFen: 150_000 });
    expect(village.version).toBe(`${COUNTY}@2,${TOWNSHIP}@1`);
    expect(valueOf(village, 'limitFen')).toEqual({ path: 'limitFen', value: 150_000, from: TOWNSHIP, version: 1 });
    expect(village.own).toBeNull();
    // The history: the versions set at the township and at the county, newest first.
    expect(village.history.map((h) => [h.region, h.version])).toEqual([
      [COUNTY, 2],
      [TOWNSHIP, 1],
      [COUNTY, 1],
    ]);
    expect(village.history[0]).toMatchObject({ regionName: '青山县', params: { limitFen: 250_000 }, setBy: '管理员', note: '再次调整' });
    expect(village.history[1]).toMatchObject({ regionName: '底洞镇', setBy: 'admin-didong', note: null });

    const other = await paramsAt(OTHER_VILLAGE, 'cash-over-limit');
    expect(valueOf(other, 'limitFen')).toMatchObject({ value: 250_000, from: COUNTY, version: 2 });
    expect(other.history.map((h) => h.region)).toEqual([COUNTY, COUNTY]);

    const township = await paramsAt(TOWNSHIP, 'cash-over-limit', townshipAdmin);
    expect(township.own).toEqual({ version: 1, params: { limitFen: 150_000 } });
  });

  it('merges per-account caps account by account, each with its origin', async () => {
    await putOk(COUNTY, 'single-expense-cap', { params: { caps: { '51302': 200_000 } } });
    await putOk(VILLAGE, 'single-expense-cap', { params: { caps: { '51304': 30_000 } } });
    const r = await paramsAt(VILLAGE, 'single-expense-cap');
    expect(r.params).toEqual({ caps: { '51304': 30_000, '51302': 200_000 } });
    expect(valueOf(r, 'caps.51304')).toMatchObject({ value: 30_000, from: VILLAGE, version: 1 });
    expect(valueOf(r, 'caps.51302')).toMatchObject({ value: 200_000, from: COUNTY, version: 1 });
    const period = await paramsAt(VILLAGE, 'period-cap');
    expect(valueOf(period, 'caps.51304.year')).toMatchObject({ value: 300_000, from: 'default' });
    expect(valueOf(period, 'caps.51304.month')).toMatchObject({ value: null, from: 'default' });
  });

  it('refuses bad values, unknown keys and unknown rules, storing nothing', async () => {
    const rows = await storedRows();
    const audits = (await t.database.db.select({ n: count() }).from(auditLog))[0]!.n;
    const refused = async (code: string, ruleId: string, body: unknown, status: number, errorCode: string, message?: RegExp) => {
      const res = await put(code, ruleId, body);
      expect(res.status, await res.clone().text()).toBe(status);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe(errorCode);
      if (message) expect(error.message).toMatch(message);
    };
    await refused(VILLAGE, 'cash-over-limit', { params: { limitFen: -5 } }, 400, 'params_invalid', /现金支付限额.*limitFen/);
    await refused(VILLAGE, 'cash-over-limit', { params: { limitFen: 'abc' } }, 400, 'params_invalid', /现金支付限额/);
    await refused(VILLAGE, 'cash-over-limit', { params: { limitFen: 1000.5 } }, 400, 'params_invalid', /limitFen/);
    await refused(VILLAGE, 'near-threshold', { params: { band: 1.5 } }, 400, 'params_invalid', /区间起点/);
    await refused(VILLAGE, 'single-expense-cap', { params: { caps: { '5x3': 100 } } }, 400, 'params_invalid', /科目编码无效：5x3/);
    await refused(VILLAGE, 'cash-over-limit', { params: { limit: 100 } }, 400, 'params_unknown_key', /limit/);
    await refused(VILLAGE, 'period-cap', { params: { caps: { '51304': { week: 100 } } } }, 400, 'params_unknown_key', /caps\.51304\.week/);
    await refused(VILLAGE, 'duplicate-invoice', { params: { anything: 1 } }, 400, 'params_unknown_key');
    await refused(VILLAGE, 'no-such-rule', { params: {} }, 404, 'rule_unknown');
    await refused(VILLAGE, 'cash-over-limit', { params: { limitFen: 100 }, extra: 1 }, 400, 'unknown_field');
    await refused('519901101299', 'cash-over-limit', { params: { limitFen: 100 } }, 404, 'region_unknown');
    expect(await storedRows()).toBe(rows);
    expect((await t.database.db.select({ n: count() }).from(auditLog))[0]!.n).toBe(audits);
    expect((await paramsAt(VILLAGE, 'cash-over-limit')).params).toEqual({ limitFen: 150_000 });
  });

  it('refuses an administrator outside their scope', async () => {
    const rows = await storedRows();
    const res = await put(OTHER_VILLAGE, 'cash-over-limit', { params: { limitFen: 100 } }, townshipAdmin);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'out_of_scope' } });
    // Not even the county the township belongs to.
    expect((await put(COUNTY, 'cash-over-limit', { params: { limitFen: 100 } }, townshipAdmin)).status).toBe(403);
    expect((await t.request(`/api/v1/regions/${OTHER_TOWNSHIP}/rule-parameters`, { cookie: townshipAdmin })).status).toBe(403);
    expect((await t.request(`/api/v1/regions/${VILLAGE}/rule-parameters`, { cookie: inspector })).status).toBe(403);
    expect(await storedRows()).toBe(rows);
  });

  it('writes an audit row for every change, with who, before and after', async () => {
    const rows = await t.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'rule_parameters.set'), eq(auditLog.entityId, `cash-over-limit@${COUNTY}`)))
      .orderBy(auditLog.id);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ actorName: 'admin', entity: 'rule_parameters', before: null, after: { version: 1, params: { limitFen: 200_000 }, note: '县里统一放宽' } });
    expect(rows[1]).toMatchObject({ before: { version: 1, params: { limitFen: 200_000 } }, after: { version: 2, params: { limitFen: 250_000 } } });
    expect(rows[1]!.requestId).toBeTruthy();
  });

  it('restores the inherited values with a new, empty version', async () => {
    expect(await putOk(TOWNSHIP, 'cash-over-limit', { params: {}, note: '恢复继承' })).toBe(2);
    const r = await paramsAt(VILLAGE, 'cash-over-limit');
    expect(valueOf(r, 'limitFen')).toMatchObject({ value: 250_000, from: COUNTY, version: 2 });
    expect(r.version).toBe(`${COUNTY}@2,${TOWNSHIP}@2`);
    expect(r.history[0]).toMatchObject({ region: TOWNSHIP, version: 2, params: {}, note: '恢复继承' });
  });

  it('is what a check run uses: lowering a cap raises alerts that name the new version', async () => {
    const rule = ruleById('single-expense-cap')!;
    const run = async () => {
      const res = await t.request('/api/v1/checks/runs', { method: 'POST', json: { asOf: AS_OF, region: VILLAGE }, cookie: admin });
      expect(res.status).toBe(202);
      await drainRuns(t.database.db, () => t.now, [rule]);
      return t.database.db
        .select()
        .from(alerts)
        .where(and(eq(alerts.ruleId, rule.id), eq(alerts.villageCode, VILLAGE), eq(alerts.status, 'open')));
    };
    const before = await run();
    expect(before.every((a) => a.paramsVersion === `${COUNTY}@1,${VILLAGE}@1`)).toBe(true);
    // A cap of ¥1.00 on every management expense (51304 keeps its own, more specific cap).
    const version = await putOk(VILLAGE, 'single-expense-cap', { params: { caps: { '513': 100 } }, note: '抽查' });
    expect(version).toBe(2);
    const after = await run();
    expect(after.length).toBeGreaterThan(before.length);
    expect(new Set(after.filter((a) => a.goneAt === null).map((a) => a.paramsVersion))).toEqual(new Set([`${COUNTY}@1,${VILLAGE}@2`]));
  });
});
