// A villager opens the home page on a phone; an administrator signs in with the plain form.
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from '../support/browser.ts';
import { demoDataDirCopy, removeDir, startServer, type ServerProcess } from '../support/server.ts';

const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

describe.skipIf(!hasChromium)('browser smoke test (chromium, 360 px)', () => {
  let server: ServerProcess;
  let browser: Browser;
  const dir = demoDataDirCopy();
  // Kept after the run for a person to look at.
  const shots = path.join(tmpdir(), 'ygcw-screenshots');

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  it('shows the county, its townships and villages in Chinese', async () => {
    const context = await browser.newContext({ ...PHONE, locale: 'zh-CN' });
    const page = await context.newPage();
    const res = await page.goto(server.url);
    expect(res?.status()).toBe(200);
    await expect(page.title()).resolves.toContain('青山县');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.getByRole('link', { name: '底洞镇' }).click();
    await page.waitForURL('**/regions/519901101000');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('底洞镇');
    expect(await page.getByRole('link', { name: '沙湾村' }).count()).toBe(1);
    // nothing overflows a 360 px screen
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: path.join(shots, 'township-zh.png'), fullPage: true });
    await context.close();
  });

  it('switches to English and back', async () => {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    await page.goto(`${server.url}/regions/519901000000`);
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL('**/en/regions/519901000000');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('County');
    await page.getByRole('link', { name: '中文' }).click();
    await page.waitForURL((u) => u.pathname === '/regions/519901000000');
    await context.close();
  });

  it('lets an administrator sign in without JavaScript and shows who and what scope', async () => {
    const context = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByRole('link', { name: '工作人员登录' }).click();
    await page.getByLabel('用户名').fill('admin');
    await page.getByLabel('密码').fill('wrong-password');
    await page.getByRole('button', { name: '登录' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('用户名或密码错误');

    await page.getByLabel('密码').fill('admin-password-1');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL('**/staff');
    expect(await page.getByTestId('who').textContent()).toContain('admin');
    expect(await page.getByTestId('scope').textContent()).toContain('全部区划');
    await page.screenshot({ path: path.join(shots, 'staff-home.png'), fullPage: true });

    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.goto(`${server.url}/staff`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await context.close();
  });

  it('answers an unknown page with the 404 page', async () => {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    const res = await page.goto(`${server.url}/no/such/page`);
    expect(res?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('页面不存在');
    await context.close();
  });
});
