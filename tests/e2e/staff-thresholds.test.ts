// An administrator sets check thresholds for a township on the demo county, in chromium at 360 px
// with JavaScript turned off: a money threshold entered in yuan and stored as exact fen, shown with
// its source and version history, inherited by the villages; a bad value refused in Chinese with
// nothing stored; restoring the inherited values; axe; and the 403 page for everyone else.
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitsPhone, hasChromium, launchBrowser, PHONE, signInPage as signInAs, submit } from '../support/browser.ts';
import { demoDataDirCopy, removeDir, startServer, type ServerProcess } from '../support/server.ts';

const COUNTY = '519901000000';
const TOWNSHIP = '519901101000'; // 底洞镇
const VILLAGE = '519901101201'; // 沙湾村
const OTHER_TOWNSHIP = '519901102000';
const PAGE = (code: string) => `/staff/regions/${code}/thresholds`;
const PASSWORD = 'staff-password-1';

type RuleParams = { rule: string; params: Record<string, unknown>; values: { path: string; value: unknown; from: string; version: number | null }[]; history: unknown[] };

describe.skipIf(!hasChromium)('staff thresholds without JavaScript (chromium, 360 px)', () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** The same administrator in a browser with JavaScript on, for axe (which runs as a script). */
  let scripted: { context: BrowserContext; page: Page };
  let adminCookie = '';
  const dir = demoDataDirCopy();

  async function api(method: string, url: string, body?: unknown) {
    const headers: Record<string, string> = { cookie: adminCookie };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${server.url}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }
  async function stored(code: string, rule: string): Promise<RuleParams> {
    const res = await api('GET', `/api/v1/regions/${code}/rule-parameters`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { rules: RuleParams[] }).rules.find((r) => r.rule === rule)!;
  }

  const signInPage = (username: string, password: string, javaScriptEnabled = false) => signInAs(browser, server.url, username, password, { ...PHONE, javaScriptEnabled });


  /** axe (a script: it needs the scripted browser) on the page `reach` brings that browser to. */
  const axe = async (reach: (p: Page) => Promise<void>) => {
    const p = scripted.page;
    await reach(p);
    const result = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), p.url()).toEqual([]);
    await fitsPhone(p);
  };
  const goto = (path: string) => async (p: Page) => {
    expect((await p.goto(`${server.url}${path}`))?.status()).toBe(200);
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }), launchBrowser()]);
    const signIn = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
    });
    expect(signIn.status).toBe(200);
    adminCookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('ygcw_session='))!;
    for (const [username, role, scope] of [
      ['jijian-county', 'inspector', COUNTY],
      ['admin-yuhe', 'admin', OTHER_TOWNSHIP],
    ] as const) {
      const res = await api('POST', '/api/v1/users', { username, password: PASSWORD, role, scope, displayName: username });
      expect(res.status).toBe(201);
    }
    ({ context, page } = await signInPage('admin', 'admin-password-1'));
    scripted = await signInPage('admin', 'admin-password-1', true);
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await scripted?.context.close();
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  it('lists the rules with their defaults and links to the regions below', async () => {
    const res = await page.goto(`${server.url}${PAGE(COUNTY)}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['cache-control']).toContain('no-store');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('青山县检查规则阈值');
    const cash = page.locator('#rule-cash-over-limit');
    expect(await cash.getByRole('heading', { level: 2 }).textContent()).toBe('现金支付超限额');
    expect(await cash.textContent()).toContain('《现金管理暂行条例》');
    const row = cash.locator('tr[data-path=limitFen]');
    expect(await row.textContent()).toContain('¥1,000.00');
    expect(await row.textContent()).toContain('规则默认值');
    expect(await page.locator('section.rule').count()).toBe(15);
    await fitsPhone(page);
    await axe(goto(PAGE(COUNTY)));

    // Down to the township through the region picker.
    await Promise.all([page.waitForNavigation(), page.getByTestId('child-regions').getByRole('link', { name: '底洞镇' }).click()]);
    expect(new URL(page.url()).pathname).toBe(PAGE(TOWNSHIP));
  });

  it('sets a money threshold in yuan, stored as exact fen, shown with its source and history', async () => {
    await page.goto(`${server.url}${PAGE(TOWNSHIP)}`);
    const cash = page.locator('#rule-cash-over-limit');
    await cash.locator('summary').click();
    const form = cash.locator('form');
    // 1234.56 × 100 is 123455.99999999999 in floating point: fen must come from the digits.
    await form.getByLabel('现金支付限额').fill('1,234.56');
    await form.getByLabel('说明').fill('底洞镇试行');
    const posted = await submit(page, form.getByRole('button', { name: '保存为新版本' }));
    expect(posted.status()).toBe(303);
    expect(new URL(page.url()).searchParams.get('saved')).toBe('cash-over-limit');

    const after = page.locator('#rule-cash-over-limit');
    expect(await after.getByRole('status').textContent()).toContain('已保存新版本');
    const row = after.locator('tr[data-path=limitFen]');
    expect(await row.textContent()).toContain('¥1,234.56');
    expect(await row.textContent()).toContain('底洞镇（乡镇）第 1 版');
    const history = page.getByTestId('history-cash-over-limit');
    expect(await history.textContent()).toContain('底洞镇 第 1 版');
    expect(await history.textContent()).toContain('现金支付限额 = ¥1,234.56');
    expect(await history.textContent()).toContain('底洞镇试行');
    expect(await history.textContent()).toContain('管理员');
    // The form starts from the region's own value for the next edit.
    expect(await after.locator('form').getByLabel('现金支付限额').inputValue()).toBe('1234.56');

    const township = await stored(TOWNSHIP, 'cash-over-limit');
    expect(township.params).toEqual({ limitFen: 123_456 });
    // The villages below inherit it.
    expect((await stored(VILLAGE, 'cash-over-limit')).values).toEqual([{ path: 'limitFen', value: 123_456, from: TOWNSHIP, version: 1 }]);
    await page.goto(`${server.url}${PAGE(VILLAGE)}`);
    expect(await page.locator('#rule-cash-over-limit tr[data-path=limitFen]').textContent()).toContain('底洞镇（乡镇）第 1 版');
    await fitsPhone(page);
  });

  it('refuses a bad value in Chinese, keeps what was typed and stores nothing', async () => {
    await page.goto(`${server.url}${PAGE(TOWNSHIP)}`);
    const cap = page.locator('#rule-single-expense-cap');
    await cap.locator('summary').click();
    const form = cap.locator('form');
    await form.getByLabel('科目编码（第 1 行）').fill('51304');
    await form.getByLabel('限额（¥）').first().fill('12.345');
    const posted = await submit(page, form.getByRole('button', { name: '保存为新版本' }));
    expect(posted.status()).toBe(400);
    const failed = page.locator('#rule-single-expense-cap');
    expect(await failed.getByRole('alert').textContent()).toMatch(/各科目限额第 1 行.*最多两位小数/);
    expect(await failed.locator('details').getAttribute('open')).not.toBeNull();
    expect(await failed.locator('form').getByLabel('限额（¥）').first().inputValue()).toBe('12.345');
    await fitsPhone(page);
    // The refused form passes axe too (JavaScript plays no part in it: the same post in the scripted browser).
    await axe(async (p) => {
      await goto(PAGE(TOWNSHIP))(p);
      const f = p.locator('#rule-single-expense-cap');
      await f.locator('summary').click();
      await f.locator('form').getByLabel('科目编码（第 1 行）').fill('51304');
      await f.locator('form').getByLabel('限额（¥）').first().fill('12.345');
      expect((await submit(p, f.locator('form').getByRole('button', { name: '保存为新版本' }))).status()).toBe(400);
      expect(await p.locator('#rule-single-expense-cap').getByRole('alert').count()).toBe(1);
    });

    // A value the rule's schema refuses (a cash limit of zero) is named too.
    const cash = page.locator('#rule-cash-over-limit');
    await cash.locator('summary').click();
    await cash.locator('form').getByLabel('现金支付限额').fill('0');
    expect((await submit(page, cash.locator('form').getByRole('button', { name: '保存为新版本' }))).status()).toBe(400);
    expect(await page.locator('#rule-cash-over-limit').getByRole('alert').textContent()).toMatch(/参数有误：现金支付限额（limitFen）：数值过小/);

    expect((await stored(TOWNSHIP, 'single-expense-cap')).history).toEqual([]);
    expect((await stored(TOWNSHIP, 'cash-over-limit')).params).toEqual({ limitFen: 123_456 });
  });

  it('restores the inherited values as a new version', async () => {
    await page.goto(`${server.url}${PAGE(TOWNSHIP)}`);
    const cash = page.locator('#rule-cash-over-limit');
    await cash.locator('summary').click();
    const posted = await submit(page, cash.locator('form').getByRole('button', { name: '恢复继承上级的值' }));
    expect(posted.status()).toBe(303);
    const row = page.locator('#rule-cash-over-limit tr[data-path=limitFen]');
    expect(await row.textContent()).toContain('¥1,000.00');
    expect(await row.textContent()).toContain('规则默认值');
    expect(await page.getByTestId('history-cash-over-limit').textContent()).toContain('底洞镇 第 2 版');
    expect((await stored(TOWNSHIP, 'cash-over-limit')).history).toHaveLength(2);
  });

  it('has an English page', async () => {
    const res = await page.goto(`${server.url}/en${PAGE(TOWNSHIP)}`);
    expect(res?.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Check thresholds: 底洞镇');
    expect(await page.locator('#rule-cash-over-limit tr[data-path=limitFen]').textContent()).toContain('Rule default');
    await fitsPhone(page);
    await axe(goto(`/en${PAGE(TOWNSHIP)}`));
  });

  it('answers 403 to an inspector and to an administrator of another township', async () => {
    for (const username of ['jijian-county', 'admin-yuhe']) {
      const other = await signInPage(username, PASSWORD);
      const res = await other.page.goto(`${server.url}${PAGE(TOWNSHIP)}`);
      expect(res?.status(), username).toBe(403);
      expect(await other.page.getByRole('heading', { level: 1 }).textContent()).toBe('无权访问');
      expect(await other.page.locator('section.rule').count()).toBe(0);
      await other.context.close();
    }
  });
});
