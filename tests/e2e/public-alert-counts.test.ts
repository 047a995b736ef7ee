// Alert counts in public, per township, on the region pages (zh and en, axe, 360 px), whose ETag
// changes when the counts change; and the administrators' rule statistics page, read with
// JavaScript off, showing the numbers the API gives.
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from '../support/browser.ts';
import { demoDataDirCopy, removeDir, startServer, type ServerProcess } from '../support/server.ts';

const COUNTY = '519901000000';
const TOWNSHIP = '519901101000';
const ADMIN_PASSWORD = 'admin-password-1';
const PHONE = { viewport: { width: 360, height: 740 } };

type Counts = { raised: number; open: number; inProgress: number; confirmed: number; dismissed: number };
type CountsAnswer = { rows: { code: string; counts: Counts }[]; total: Counts };
type StatsAnswer = {
  region: string;
  rules: { rule: string; raised: number; open: number; acknowledged: number; investigating: number; resolved: number; dismissed: number; dismissedBy: Record<string, number>; precision: number | null }[];
};

describe.skipIf(!hasChromium)('alert counts on region pages and the rule statistics page', () => {
  let server: ServerProcess;
  let browser: Browser;
  let admin = '';
  const dir = demoDataDirCopy();

  const api = async (method: string, url: string, body?: unknown, cookie = admin) => {
    const headers: Record<string, string> = { cookie };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${server.url}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  const json = async <T>(url: string, cookie = admin): Promise<T> => {
    const res = await api('GET', url, undefined, cookie);
    expect(res.status, url).toBe(200);
    return (await res.json()) as T;
  };
  const etagOf = async (path: string) => {
    const res = await fetch(`${server.url}${path}`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    return res.headers.get('etag')!;
  };
  const conditional = (path: string, etag: string) => fetch(`${server.url}${path}`, { headers: { 'if-none-match': etag } });

  /** Counts as the page shows them, by data-region. */
  const pageCounts = (page: Page) =>
    page.$$eval('.count-list > li', (items) =>
      Object.fromEntries(
        items.map((li) => [
          li.getAttribute('data-region'),
          Object.fromEntries([...li.querySelectorAll('dd[data-count]')].map((dd) => [dd.getAttribute('data-count'), Number(dd.textContent)])),
        ]),
      ),
    );

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ DATA_DIR: dir, ADMIN_PASSWORD }), launchBrowser()]);
    const res = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(res.status).toBe(200);
    admin = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('ygcw_session='))!;
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  it('changes the region page’s ETag when a check run raises alerts and when an alert is resolved', async () => {
    const path = `/regions/${COUNTY}`;
    const before = await etagOf(path);
    const townshipBefore = await etagOf(`/regions/${TOWNSHIP}`);
    expect((await conditional(path, before)).status).toBe(304);
    expect(await json<CountsAnswer>(`/api/v1/public/regions/${COUNTY}/alert-counts`)).toMatchObject({ total: { raised: 0 } });

    const queued = await api('POST', '/api/v1/checks/runs', { asOf: '2026-01-31', region: COUNTY });
    expect(queued.status).toBe(202);
    const { runId } = (await queued.json()) as { runId: string };
    const deadline = Date.now() + 150_000;
    for (;;) {
      const run = await json<{ status: string }>(`/api/v1/checks/runs/${runId}`);
      if (run.status === 'done') break;
      expect(run.status).not.toBe('failed');
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 500));
    }
    const afterRun = await etagOf(path);
    expect(afterRun).not.toBe(before);
    expect((await conditional(path, afterRun)).status).toBe(304);

    const { items } = await json<{ items: { id: string }[] }>(`/api/v1/alerts?region=${TOWNSHIP}&status=open&limit=3`);
    expect(items.length).toBe(3);
    const move = async (id: string, body: unknown) => expect((await api('POST', `/api/v1/alerts/${id}/transitions`, body)).status).toBe(200);
    await move(items[0]!.id, { to: 'resolved' });
    const changed = await conditional(path, afterRun);
    expect(changed.status).toBe(200);
    const afterResolve = changed.headers.get('etag')!;
    expect(afterResolve).not.toBe(afterRun);
    await move(items[1]!.id, { to: 'dismissed', reason: 'explained' });
    await move(items[2]!.id, { to: 'investigating' });
    expect((await conditional(path, afterResolve)).status).toBe(200);
    // The township's own page too.
    expect((await conditional(`/regions/${TOWNSHIP}`, townshipBefore)).status).toBe(200);
    expect((await conditional(`/regions/${TOWNSHIP}`, await etagOf(`/regions/${TOWNSHIP}`))).status).toBe(304);
    const counts = await json<CountsAnswer>(`/api/v1/public/regions/${COUNTY}/alert-counts`);
    expect(counts.rows.find((r) => r.code === TOWNSHIP)!.counts).toMatchObject({ confirmed: 1, dismissed: 1, inProgress: 1 });
  });

  for (const lang of ['zh', 'en'] as const) {
    it(`shows the counts per township in ${lang}, passes axe and fits 360 px`, async () => {
      const context = await browser.newContext({ ...PHONE, locale: lang === 'zh' ? 'zh-CN' : 'en' });
      const page = await context.newPage();
      for (const code of [COUNTY, TOWNSHIP]) {
        const url = `${server.url}${lang === 'en' ? '/en' : ''}/regions/${code}`;
        expect((await page.goto(url))?.status()).toBe(200);
        const heading = page.getByRole('heading', { name: lang === 'zh' ? '预警处理情况' : 'Alert handling' });
        await expect(heading.isVisible()).resolves.toBe(true);
        const section = page.locator('section.alert-counts');
        expect(await section.textContent()).toContain(lang === 'zh' ? '只公开数量' : 'only the numbers are public');
        const api = await json<CountsAnswer>(`/api/v1/public/regions/${code}/alert-counts`, '');
        const want = Object.fromEntries(api.rows.map((r) => [r.code, r.counts]));
        if (api.rows.length > 1) want.total = api.total;
        expect(await pageCounts(page), url).toEqual(want);
        expect(api.total.raised).toBeGreaterThan(0);
        const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
        expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), url).toEqual([]);
        expect(await page.evaluate(() => document.documentElement.scrollWidth), url).toBeLessThanOrEqual(360);
      }
      await context.close();
    });
  }

  describe('the rule statistics page (JavaScript off)', () => {
    let context: BrowserContext;
    let page: Page;

    /** A phone browser signed in as the administrator through the plain sign-in form. */
    const signedIn = async (javaScriptEnabled: boolean) => {
      const ctx = await browser.newContext({ ...PHONE, javaScriptEnabled });
      const p = await ctx.newPage();
      await p.goto(`${server.url}/signin`);
      await p.getByLabel('用户名').fill('admin');
      await p.getByLabel('密码').fill(ADMIN_PASSWORD);
      await p.getByRole('button', { name: '登录', exact: true }).click();
      await p.waitForURL('**/staff');
      return { ctx, p };
    };

    beforeAll(async () => {
      ({ ctx: context, p: page } = await signedIn(false));
    });
    afterAll(() => context?.close());

    /** The table as the page shows it: per rule, each data-stat cell's number (precision as text). */
    const table = (p: Page) =>
      p.$$eval('table.rule-stats tr[data-rule]', (rows) =>
        Object.fromEntries(
          rows.map((tr) => [
            tr.getAttribute('data-rule'),
            Object.fromEntries([...tr.querySelectorAll('[data-stat]')].map((c) => [c.getAttribute('data-stat'), (c.firstChild?.textContent ?? '').trim()])),
          ]),
        ),
      );
    const expectedTable = (stats: StatsAnswer) => {
      const rows: Record<string, Record<string, string>> = {};
      for (const s of stats.rules) {
        const row: Record<string, string> = {
          raised: String(s.raised),
          open: String(s.open),
          inProgress: String(s.acknowledged + s.investigating),
          resolved: String(s.resolved),
          dismissed: String(s.dismissed),
          precision: s.precision === null ? '—' : `${(Math.round(s.precision * 1000) / 10).toFixed(1)}%`,
        };
        for (const [reason, n] of Object.entries(s.dismissedBy)) if (n > 0) row[`dismissed.${reason}`] = String(n);
        rows[s.rule] = row;
      }
      return rows;
    };

    it('shows the numbers of GET /api/v1/checks/statistics for the admin’s scope, and for a region chosen in the form', async () => {
      const res = await page.goto(`${server.url}/staff/rules`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['cache-control']).toContain('no-store');
      const stats = await json<StatsAnswer>('/api/v1/checks/statistics');
      const shown = await table(page);
      const { total, ...perRule } = shown;
      expect(perRule).toEqual(expectedTable(stats));
      expect(total).toMatchObject({ raised: String(stats.rules.reduce((n, r) => n + r.raised, 0)), resolved: '1', dismissed: '1', precision: '50.0%' });

      // The GET form, without JavaScript: another region of the scope.
      await page.selectOption('#region', '519901102000');
      await Promise.all([page.waitForURL((u) => u.pathname === '/staff/rules' && u.searchParams.get('region') === '519901102000'), page.getByRole('button', { name: '查看' }).click()]);
      const other = await json<StatsAnswer>('/api/v1/checks/statistics?region=519901102000');
      const { total: _t, ...otherRows } = await table(page);
      expect(otherRows).toEqual(expectedTable(other));
      expect(other.rules.reduce((n, r) => n + r.resolved + r.dismissed, 0)).toBe(0);

      const didong = await json<StatsAnswer>(`/api/v1/checks/statistics?region=${TOWNSHIP}`);
      await page.goto(`${server.url}/en/staff/rules?region=${TOWNSHIP}`);
      const { total: _u, ...enRows } = await table(page);
      expect(enRows).toEqual(expectedTable(didong));
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Check rule statistics');
    });

    it('passes axe and fits 360 px (axe needs JavaScript: a second, scripted browser)', async () => {
      const { ctx, p } = await signedIn(true);
      for (const path of ['/staff/rules', '/en/staff/rules?region=519901101000']) {
        expect((await p.goto(`${server.url}${path}`))?.status()).toBe(200);
        const axe = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
        expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), path).toEqual([]);
        expect(await p.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(360);
      }
      await ctx.close();
    });

    it('is for administrators only: 403 for an inspector, sign-in for nobody', async () => {
      const created = await api('POST', '/api/v1/users', {
        username: 'rules-inspector',
        password: 'inspector-password-1',
        role: 'inspector',
        scope: COUNTY,
        displayName: '纪检',
      });
      expect(created.status).toBe(201);
      const signIn = await fetch(`${server.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'rules-inspector', password: 'inspector-password-1' }),
      });
      const cookie = signIn.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('ygcw_session='))!;
      const forbidden = await fetch(`${server.url}/staff/rules`, { headers: { cookie } });
      expect(forbidden.status).toBe(403);
      expect(await forbidden.text()).not.toContain('rule-stats');
      const anonymous = await fetch(`${server.url}/staff/rules`, { redirect: 'manual' });
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get('location')).toContain('/signin');
      const outside = await fetch(`${server.url}/staff/rules?region=519902000000`, { headers: { cookie: admin } });
      expect(outside.status).toBe(400); // the nationwide admin: every code is in scope, an unknown one is reported
      expect(await outside.text()).toContain('没有这个区划');
      // An administrator of 底洞镇 asking for 玉和镇: 403.
      expect((await api('POST', '/api/v1/users', { username: 'rules-didong', password: 'admin-password-2', role: 'admin', scope: TOWNSHIP, displayName: '镇管理员' })).status).toBe(201);
      const townshipAdmin = await fetch(`${server.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'rules-didong', password: 'admin-password-2' }),
      });
      const didongCookie = townshipAdmin.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('ygcw_session='))!;
      expect((await fetch(`${server.url}/staff/rules?region=519901102000`, { headers: { cookie: didongCookie } })).status).toBe(403);
      const own = await fetch(`${server.url}/staff/rules`, { headers: { cookie: didongCookie } });
      expect(own.status).toBe(200);
      expect(await own.text()).toContain(`data-region="${TOWNSHIP}"`);
    });
  });
});
