// An accountant works a village's books in the browser: uploads a ledger with mistakes and sees
// every row error, uploads the corrected one, publishes the period after the confirmation,
// and corrects a published entry with a reversal — first without JavaScript, then the upload
// again with it (preview and progress through the API).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from '../support/browser.ts';
import { removeDir, startServer, tempDir, type ServerProcess } from '../support/server.ts';

const VILLAGE = '519901101201';
const HEADER = '日期,凭证号,摘要,科目编码,收入,支出,收付款方,结算方式';
const PHONE = { viewport: { width: 360, height: 740 } };

describe.skipIf(!hasChromium)('accountant works the books in the browser', () => {
  let server: ServerProcess;
  let browser: Browser;
  const dir = tempDir();

  const api = async (method: string, url: string, body: unknown, cookie?: string) => {
    const res = await fetch(`${server.url}${url}`, {
      method,
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res;
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1', DEMO: '0' }), launchBrowser()]);
    const login = await api('POST', '/api/v1/session', { username: 'admin', password: 'admin-password-1' });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    await api('PUT', '/api/v1/regions', [
      { code: '519901000000', name: '青山县' },
      { code: '519901101000', name: '底洞镇' },
      { code: VILLAGE, name: '沙湾村' },
    ], cookie);
    await api('POST', '/api/v1/users', { username: 'kuaiji', password: 'kuaiji-password-1', role: 'accountant', scope: '519901101000', displayName: '毛红' }, cookie);
    await api('PUT', `/api/v1/villages/${VILLAGE}/opening-balance`, { date: '2024-12-31', amountFen: 5_000_000 }, cookie);
    await writeFile(path.join(dir, 'bad.csv'), [HEADER, '2025-01-05,记-2025-01-001,办公用品,51302,,12.345,文具店,现金', '2025-01-06,记-2025-01-002,电费,51399,,80.00,供电公司,转账', '2025-02-30,记-2025-01-003,会议,51305,,50.00,会议中心,转账'].join('\n'));
    await writeFile(path.join(dir, 'good.csv'), [HEADER, '2025-01-05,记-2025-01-001,办公用品,51302,,12.34,文具店,现金', '2025-01-06,记-2025-01-002,电费,51302,,80.00,供电公司,转账', '2025-01-07,记-2025-01-003,村级运转经费,503,55000.00,,青山县财政局,转账'].join('\n'));
    await writeFile(path.join(dir, 'february.csv'), [HEADER, '2025-02-03,记-2025-02-001,维修,51306,,300.00,维修部,转账'].join('\n'));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  const signIn = async (page: Page) => {
    await page.goto(`${server.url}/staff/villages/${VILLAGE}`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.getByLabel('用户名').fill('kuaiji');
    await page.getByLabel('密码').fill('kuaiji-password-1');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(`**/staff/villages/${VILLAGE}`);
  };

  it('without JavaScript: row errors, a clean import, publication with confirmation, a reversal', async () => {
    const context = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page);

    await page.getByLabel('账本文件').setInputFiles(path.join(dir, 'bad.csv'));
    const [bad] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: '上传' }).click()]);
    expect(bad.status()).toBe(422);
    const rows = page.locator('#import-problem table tbody tr');
    await expect(rows.count()).resolves.toBe(3);
    expect(await rows.nth(0).textContent()).toContain('支出');
    expect(await rows.nth(1).textContent()).toContain('51399');
    expect(await rows.nth(2).textContent()).toContain('2025-02-30');
    expect(await page.locator('#drafts-title + p').textContent()).toContain('没有草稿');

    await page.getByLabel('账本文件').setInputFiles(path.join(dir, 'good.csv'));
    await page.getByRole('button', { name: '上传' }).click();
    expect(await page.locator('#import-result').textContent()).toContain('3 条分录');
    await page.getByRole('link', { name: '公开…' }).click();
    const totals = await page.locator('#totals').textContent();
    expect(totals).toContain('¥50,000.00'); // opening
    expect(totals).toContain('¥55,000.00'); // income
    expect(totals).toContain('¥92.34'); // spending
    expect(totals).toContain('¥104,907.66'); // closing
    await page.getByRole('button', { name: '确认公开 2025-01' }).click();
    await page.waitForURL(`**/staff/villages/${VILLAGE}?published=2025-01`);
    expect(await page.getByRole('status').textContent()).toContain('2025-01');

    await page.getByRole('link', { name: '2025-01' }).click();
    await page.locator('summary', { hasText: '红字冲销' }).first().click();
    const form = page.locator('details[open] form');
    await form.getByLabel('冲销日期').fill('2025-02-01');
    await form.getByLabel('冲销凭证号').fill('记-2025-02-R01');
    await form.getByLabel('原因').fill('金额有误');
    await form.getByRole('button', { name: '记一笔冲销' }).click();
    expect(await page.getByRole('status').textContent()).toContain('冲销分录已记为草稿');
    expect(await page.locator('tbody').textContent()).toContain('已被 记-2025-02-R01 冲销');
    await context.close();
  });

  it('with JavaScript: previews a CSV and uploads it through the API with progress', async () => {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    await signIn(page);
    await page.getByLabel('账本文件').setInputFiles(path.join(dir, 'february.csv'));
    await expect(page.locator('#upload-preview table').textContent()).resolves.toContain('维修部');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/villages/${VILLAGE}/imports`)),
      page.getByRole('button', { name: '上传' }).click(),
    ]);
    expect(res.status()).toBe(201);
    await page.waitForURL('**?imported=1');
    expect(await page.locator('#drafts-title + table').textContent()).toContain('2025-02');
    await context.close();
  });
});
