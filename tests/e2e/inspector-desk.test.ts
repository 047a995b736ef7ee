// A township's discipline inspector works an alert end to end in chromium, on a copy of the demo
// county: an administrator creates the inspector and runs the checks as of 2026-01-31 through
// the API; the inspector filters the queue by a rule, sees the counts, opens an alert (the
// sentence, the voucher numbers, a voucher image that loads), acknowledges it, investigates it,
// is refused a dismissal without a reason (in Chinese), dismisses it with a reason and a note,
// and finds all three steps in the history — all with JavaScript turned off. Another township's
// alert is a 404 to them, the queue a 403 to an accountant; axe finds nothing at 360 px.
import { tmpdir } from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitsPhone, hasChromium, launchBrowser, NO_JS_PHONE, PHONE, signInPage as signInAs, submit } from '../support/browser.ts';
import { demoDataDirCopy, removeDir, startServer, type ServerProcess } from '../support/server.ts';

const COUNTY = '519901000000';
const TOWNSHIP = '519901101000'; // 底洞镇
const OTHER_TOWNSHIP = '519901102000';
const CAP_VILLAGE = '519901101204';
const CAP_VOUCHER = '记-2025-07-651';
const RULE = 'single-expense-cap';
const PASSWORD = 'inspector-password-1';

interface AlertAnswer {
  id: string;
  rule: string;
  village: string | null;
  region: string;
  status: string;
  summary: string;
  entries: { voucherNo: string }[];
}

describe.skipIf(!hasChromium)('the inspector’s desk (chromium, 360 px)', () => {
  let server: ServerProcess;
  let browser: Browser;
  let inspectorCookie = '';
  let capAlert: AlertAnswer;
  let otherAlert: AlertAnswer;
  let ruleCount = 0;
  const dir = demoDataDirCopy();
  const shots = path.join(tmpdir(), 'ygcw-screenshots');

  async function api(method: string, url: string, body?: unknown, cookie?: string) {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (cookie) headers.cookie = cookie;
    return fetch(`${server.url}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }
  async function signInApi(username: string, password: string) {
    const res = await api('POST', '/api/v1/session', { username, password });
    expect(res.status).toBe(200);
    return res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('ygcw_session='))!;
  }
  async function alertsOf(cookie: string, query: string) {
    const items: AlertAnswer[] = [];
    let cursor: string | null = null;
    do {
      const res = await api('GET', `/api/v1/alerts?limit=200${query}${cursor ? `&cursor=${cursor}` : ''}`, undefined, cookie);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: AlertAnswer[]; nextCursor: string | null };
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  const signInPage = (username: string, password: string, options?: BrowserContextOptions) => signInAs(browser, server.url, username, password, options);


  const axe = async (p: Page) => {
    const result = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), p.url()).toEqual([]);
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }), launchBrowser()]);
    const admin = await signInApi('admin', 'admin-password-1');
    for (const [username, role] of [
      ['jijian-didong', 'inspector'],
      ['kuaiji-didong', 'accountant'],
    ] as const) {
      const res = await api('POST', '/api/v1/users', { username, password: PASSWORD, role, scope: TOWNSHIP, displayName: role === 'inspector' ? '底洞镇纪委王书记' : '底洞镇会计' }, admin);
      expect(res.status, await res.clone().text()).toBe(201);
    }
    const queued = await api('POST', '/api/v1/checks/runs', { asOf: '2026-01-31', region: COUNTY }, admin);
    expect(queued.status, await queued.clone().text()).toBe(202);
    const { runId } = (await queued.json()) as { runId: string };
    // The run is executed by the server's worker; poll generously.
    const deadline = Date.now() + 300_000;
    let status = 'queued';
    while (Date.now() < deadline) {
      const run = (await (await api('GET', `/api/v1/checks/runs/${runId}`, undefined, admin)).json()) as { status: string; failures: unknown[] };
      status = run.status;
      if (status === 'done' || status === 'failed') {
        expect(run.failures).toEqual([]);
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(status).toBe('done');
    inspectorCookie = await signInApi('jijian-didong', PASSWORD);
    const mine = await alertsOf(inspectorCookie, `&rule=${RULE}`);
    ruleCount = mine.length;
    capAlert = mine.find((a) => a.village === CAP_VILLAGE && a.entries.some((e) => e.voucherNo === CAP_VOUCHER))!;
    expect(capAlert).toBeDefined();
    otherAlert = (await alertsOf(admin, `&township=${OTHER_TOWNSHIP}`))[0]!;
    expect(otherAlert).toBeDefined();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  it('works an alert from the queue to a dismissal with JavaScript off', async () => {
    const { context, page } = await signInPage('jijian-didong', PASSWORD);
    try {
      // The staff home links to the queue with the count of alerts still to work on.
      const home = page.getByTestId('active-alerts');
      expect(await home.textContent()).toMatch(/共 \d+ 条/);
      await Promise.all([page.waitForNavigation(), home.getByRole('link', { name: '预警处理' }).click()]);
      expect(new URL(page.url()).pathname).toBe('/staff/alerts');

      // Filter by the rule through the plain GET form.
      const form = page.getByTestId('alert-filters');
      await form.getByLabel('规则').selectOption(RULE);
      await Promise.all([page.waitForNavigation(), form.getByRole('button', { name: '筛选' }).click()]);
      expect(new URL(page.url()).searchParams.get('rule')).toBe(RULE);
      expect(await page.locator('#counts-h').textContent()).toContain(`符合条件的预警：${ruleCount} 条`);
      const ruleFacet = page.getByTestId('facet-rule').locator(`li[data-rule="${RULE}"] [data-count]`);
      expect(await ruleFacet.getAttribute('data-count')).toBe(String(ruleCount));
      expect(await page.getByTestId('facet-status').locator('li').first().textContent()).toContain(`${ruleCount} 条`);
      const items = page.getByTestId('alert-list').locator('> li');
      expect(await items.count()).toBe(Math.min(ruleCount, 25));
      for (const rule of await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-rule')))) expect(rule).toBe(RULE);
      await fitsPhone(page);

      // Open the alert.
      const item = page.locator(`li[data-alert="${capAlert.id}"]`);
      await Promise.all([page.waitForNavigation(), item.getByRole('heading').getByRole('link').click()]);
      expect(new URL(page.url()).pathname).toBe(`/staff/alerts/${capAlert.id}`);
      expect(await page.getByTestId('alert-summary').textContent()).toBe(capAlert.summary);
      expect(capAlert.summary).toMatch(/¥[\d,]+\.\d{2}/);
      const evidence = page.getByTestId('evidence');
      expect(await evidence.textContent()).toContain(CAP_VOUCHER);
      const entry = evidence.locator(`li[data-voucher-no="${CAP_VOUCHER}"]`);
      // A voucher thumbnail that actually loads, linking to the full image; the staff original beside it.
      const img = entry.locator('.vouchers img').first();
      await img.scrollIntoViewIfNeeded();
      await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
      const full = await entry.locator('.vouchers a[href^="/api/v1/public/vouchers/"]').first().getAttribute('href');
      const fullRes = await context.request.get(`${server.url}${full}`);
      expect(fullRes.status()).toBe(200);
      expect(fullRes.headers()['content-type']).toMatch(/^image\//);
      const original = await entry.getByRole('link', { name: /下载原件/ }).first().getAttribute('href');
      expect(original).toMatch(new RegExp(`^/api/v1/villages/${CAP_VILLAGE}/vouchers/[0-9a-f]{64}/original$`));
      expect((await context.request.get(`${server.url}${original}`)).status()).toBe(200);
      // The chart with its text alternative, and the figures.
      expect(await page.locator('#alert-chart svg[role="img"]').getAttribute('aria-label')).toMatch(/^条形图：金额 ¥[\d,]+\.\d{2}，高于限额 ¥/);
      expect(await page.getByTestId('alert-figures').textContent()).toContain('限额');
      await fitsPhone(page);

      // Only the allowed next statuses are offered.
      const move = page.locator('#move form');
      const choices = await move.getByRole('radio').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
      expect(choices).toEqual(['acknowledged', 'investigating', 'resolved', 'dismissed']);

      // acknowledge → investigating
      await move.getByRole('radio', { name: /确认收到/ }).check();
      expect((await submit(page, move.getByRole('button', { name: '提交' }))).status()).toBe(303);
      expect(await page.getByTestId('alert-status').getAttribute('data-status')).toBe('acknowledged');
      await move.getByRole('radio', { name: /开始调查/ }).check();
      await move.getByLabel('备注（可选）').fill('已调取合同和发票');
      expect((await submit(page, move.getByRole('button', { name: '提交' }))).status()).toBe(303);
      expect(await page.getByTestId('alert-status').getAttribute('data-status')).toBe('investigating');
      expect(await move.getByRole('radio').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['resolved', 'dismissed']);

      // A dismissal without a reason is refused, in Chinese, and the form comes back as filled in.
      await move.getByRole('radio', { name: /驳回/ }).check();
      await move.getByLabel('备注（可选）').fill('村民代表会议已追认');
      const refused = await submit(page, move.getByRole('button', { name: '提交' }));
      expect(refused.status()).toBe(400);
      expect(await page.locator('#move-error').textContent()).toContain('驳回须选择原因：误报、已作出合理解释');
      expect(await page.getByTestId('alert-status').getAttribute('data-status')).toBe('investigating');
      expect(await move.getByLabel('备注（可选）').inputValue()).toBe('村民代表会议已追认');
      expect(await move.getByRole('radio', { name: /驳回/ }).isChecked()).toBe(true);

      // With a reason it goes through.
      await move.getByLabel(/驳回原因/).selectOption('explained');
      expect(await move.getByLabel(/驳回原因/).locator('option:checked').textContent()).toBe('已作出合理解释 / Satisfactorily explained');
      expect((await submit(page, move.getByRole('button', { name: '提交' }))).status()).toBe(303);
      expect(await page.getByTestId('alert-status').getAttribute('data-status')).toBe('dismissed');
      const steps = page.getByTestId('history').locator('> li');
      expect(await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-to')))).toEqual(['acknowledged', 'investigating', 'dismissed']);
      const texts = await steps.allTextContents();
      for (const text of texts) expect(text).toContain('底洞镇纪委王书记');
      expect(texts[0]).toContain('待处理 → 已确认');
      expect(texts[1]).toContain('已确认 → 调查中');
      expect(texts[1]).toContain('已调取合同和发票');
      expect(texts[2]).toContain('调查中 → 已驳回');
      expect(texts[2]).toContain('已作出合理解释');
      expect(texts[2]).toContain('村民代表会议已追认');
      // The API agrees.
      const stored = (await (await api('GET', `/api/v1/alerts/${capAlert.id}`, undefined, inspectorCookie)).json()) as { status: string; history: { reason: string | null }[] };
      expect(stored.status).toBe('dismissed');
      expect(stored.history.map((h) => h.reason)).toEqual([null, null, 'explained']);

      // The queue now counts it as dismissed.
      await page.goto(`${server.url}/staff/alerts?rule=${RULE}&status=dismissed`);
      expect(await page.locator('#counts-h').textContent()).toContain('符合条件的预警：1 条');

      // Another township's alert does not exist for this inspector.
      const other = await page.goto(`${server.url}/staff/alerts/${otherAlert.id}`);
      expect(other?.status()).toBe(404);
      const otherPost = await context.request.post(`${server.url}/staff/alerts/${otherAlert.id}`, {
        form: { to: 'acknowledged' },
        headers: { origin: server.url },
      });
      expect(otherPost.status()).toBe(404);
      expect((await api('GET', `/api/v1/alerts/${otherAlert.id}`, undefined, inspectorCookie)).status).toBe(404);
      expect((await page.goto(`${server.url}/staff/alerts/00000000-0000-4000-8000-000000000000`))?.status()).toBe(404);
    } finally {
      await context.close();
    }
  });

  it('runs the checks of the inspector’s scope on request, and lists the runs, with JavaScript off', async () => {
    const { context, page } = await signInPage('jijian-didong', PASSWORD);
    try {
      await page.goto(`${server.url}/staff/alerts`);
      const runs = page.getByTestId('runs');
      // The administrator's county run covers this township: it is listed, done.
      await expect.poll(() => runs.locator('tr[data-status="done"]').count()).toBeGreaterThan(0);
      // The date field's `max` keeps a browser from asking for the future; the server refuses it too.
      const refused = await fetch(`${server.url}/staff/alerts`, {
        method: 'POST',
        headers: { origin: server.url, cookie: inspectorCookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'asOf=2099-01-01',
        redirect: 'manual',
      });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('检查日期不能晚于今天');

      await runs.getByLabel('检查截至日期').fill('2026-01-31');
      expect((await submit(page, runs.getByRole('button', { name: '立即检查' }))).status()).toBe(303);
      expect(page.url()).toMatch(/\?queued=[0-9a-f-]{36}$/);
      const runId = new URL(page.url()).searchParams.get('queued')!;
      await expect.poll(() => page.getByTestId('run-queued').count()).toBe(1);
      // The server's job queue runs it; a reload shows it done (found again: no new alerts).
      const deadline = Date.now() + 120_000;
      for (;;) {
        await page.reload();
        const status = await page.locator(`tr[data-run="${runId}"]`).getAttribute('data-status');
        if (status === 'done') break;
        expect(status === 'queued' || status === 'running', `run status ${status}`).toBe(true);
        if (Date.now() > deadline) throw new Error('the requested run did not finish');
        await new Promise((r) => setTimeout(r, 1000));
      }
      const row = page.locator(`tr[data-run="${runId}"]`);
      expect(await row.textContent()).toContain('人工');
      expect(await row.textContent()).toContain('2026-01-31');
      const res = await api('GET', `/api/v1/checks/runs/${runId}`, undefined, inspectorCookie);
      expect(((await res.json()) as { region: string; alertsOpened: number }).region).toBe(TOWNSHIP);
    } finally {
      await context.close();
    }
  });

  it('is closed to accountants and to visitors', async () => {
    const { context, page } = await signInPage('kuaiji-didong', PASSWORD);
    try {
      expect((await page.goto(`${server.url}/staff/alerts`))?.status()).toBe(403);
      expect((await page.goto(`${server.url}/staff/alerts/${capAlert.id}`))?.status()).toBe(403);
      expect(await page.locator('[data-testid="active-alerts"]').count()).toBe(0);
    } finally {
      await context.close();
    }
    const anonymous = await fetch(`${server.url}/staff/alerts`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/signin\?next=/);
  });

  it('passes axe at 360 px on the queue and the alert page, in both languages', async () => {
    const { context, page } = await signInPage('jijian-didong', PASSWORD, PHONE);
    try {
      for (const prefix of ['', '/en']) {
        for (const url of [`/staff/alerts?rule=${RULE}`, `/staff/alerts/${capAlert.id}`]) {
          const res = await page.goto(`${server.url}${prefix}${url}`);
          expect(res?.status()).toBe(200);
          expect(res?.headers()['cache-control']).toBe('private, no-store');
          await axe(page);
          await fitsPhone(page);
          await page.screenshot({ path: path.join(shots, `inspector${`${prefix}${url}`.replace(/[^a-z0-9]+/gi, '-')}`.slice(0, 80) + '.png'), fullPage: true });
        }
      }
      expect(await page.locator('h2#history-h').textContent()).toBe('History');
      // An alert still open shows its whole form (reason list included) to axe as well.
      const open = (await alertsOf(inspectorCookie, '&status=open')).find((a) => a.id !== capAlert.id)!;
      expect((await page.goto(`${server.url}/staff/alerts/${open.id}`))?.status()).toBe(200);
      await axe(page);
      await fitsPhone(page);
    } finally {
      await context.close();
    }
  });
});
