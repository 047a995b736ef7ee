// A villager looks at a village's accounts on a 360 px phone: the village page (zh and en) with
// its balance and server-rendered chart, the ledger filtered with the plain form, the CSV of
// exactly those rows, an entry with its vouchers and its log proof (checked in the browser with
// JavaScript, shown as data without), HTTP revalidation, and no personal number in clear.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDir } from '../../db/demo.ts';
import { yuan } from '../../site/lib/format.ts';
import { hasChromium, launchBrowser } from '../support/browser.ts';
import { demoDataDirCopy, removeDir, startServer, type ServerProcess } from '../support/server.ts';

const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const VILLAGE = '519901101201'; // 沙湾村
const truth = JSON.parse(await readFile(path.join(demoDir, 'truth.json'), 'utf8')) as {
  pii: { village: string; voucherNo: string; idNo: string; card: string }[];
};
const OK = '✓ 已核验：本条分录包含在签名的账目日志中';

/** RFC 4180 fields of a CSV text (quotes, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (c !== '\r') field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

describe.skipIf(!hasChromium)('public village pages (chromium, 360 px)', () => {
  let server: ServerProcess;
  let browser: Browser;
  const dir = demoDataDirCopy();
  const shots = path.join(tmpdir(), 'ygcw-screenshots');
  /** The demo's entries with personal numbers in their summaries, with their ids and periods. */
  const piiEntries: { village: string; id: string; period: string; idNo: string; card: string }[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }), launchBrowser()]);
    for (const p of truth.pii) {
      const period = p.voucherNo.slice(2, 9); // 记-2025-10-652 → 2025-10
      const res = await fetch(`${server.url}/villages/${p.village}/ledger.json?period=${period}`);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`ledger.json of ${p.village} ${period}: ${res.status} ${text}\n${server.output().slice(-2000)}`);
      const { rows } = JSON.parse(text) as { rows: { id: string; voucherNo: string }[] };
      const row = rows.find((r) => r.voucherNo === p.voucherNo);
      if (!row) throw new Error(`no entry ${p.voucherNo} in ${p.village} ${period}`);
      piiEntries.push({ village: p.village, id: row.id, period, idNo: p.idNo, card: p.card });
    }
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  const open = async (options: { javaScriptEnabled?: boolean; locale?: string } = {}): Promise<[BrowserContext, Page]> => {
    const context = await browser.newContext({ ...PHONE, locale: 'zh-CN', ...options, acceptDownloads: true });
    return [context, await context.newPage()];
  };
  const noOverflow = async (page: Page) =>
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  it('shows the village’s balance and its charts, in Chinese and in English', async () => {
    const [context, page] = await open({ javaScriptEnabled: false });
    const res = await page.goto(`${server.url}/villages/${VILLAGE}`);
    expect(res?.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('沙湾村');
    expect(await page.getByTestId('balance').textContent()).toMatch(/^-?¥[\d,]+\.\d\d$/);
    expect(await page.getByTestId('year-income').textContent()).toMatch(/^¥[\d,]+\.\d\d$/);
    const chart = page.locator('#monthly-chart svg[role="img"]');
    expect(await chart.count()).toBe(1);
    expect(await chart.getAttribute('aria-label')).toContain('2025 年');
    expect((await chart.boundingBox())!.width).toBeGreaterThan(250);
    expect(await page.locator('#monthly-chart figcaption').count()).toBe(1);
    expect(await page.locator('#monthly-chart table tbody tr').count()).toBe(12);
    expect(await page.locator('#accounts-chart svg[role="img"]').count()).toBe(1);
    expect(await page.locator('#spending-table tbody tr').count()).toBeGreaterThan(3);
    expect(await page.locator('#township-table tbody tr').count()).toBeGreaterThan(3);
    expect(await page.getByRole('link', { name: '账目明细' }).getAttribute('href')).toBe(`/villages/${VILLAGE}/ledger`);
    expect(await page.getByRole('link', { name: /公示栏/ }).getAttribute('href')).toBe(`/villages/${VILLAGE}/notice/2025-12`);
    for (const name of ['村级决议', '小微权力清单', '惠民政策']) expect(await page.getByRole('link', { name }).count()).toBe(1);
    expect(await page.locator('.officials li').count()).toBeGreaterThan(2);
    expect(await page.locator('.entry-list li').count()).toBe(10);
    await noOverflow(page);
    await page.screenshot({ path: path.join(shots, 'village-zh.png'), fullPage: true });

    const en = await page.goto(`${server.url}/en/villages/${VILLAGE}`);
    expect(en?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.getByText(/^Balance \(end of 2025-12\)$/).count()).toBe(1);
    expect(await page.getByTestId('balance').textContent()).toMatch(/¥[\d,]+\.\d\d$/);
    expect(await page.locator('#monthly-chart svg[role="img"]').getAttribute('aria-label')).toMatch(/^Bar chart of income and spending by month, 2025/);
    expect(await page.getByRole('link', { name: 'Ledger' }).getAttribute('href')).toBe(`/en/villages/${VILLAGE}/ledger`);
    await noOverflow(page);
    await page.screenshot({ path: path.join(shots, 'village-en.png'), fullPage: true });
    await context.close();
  });

  it('filters the ledger with the plain form; totals and the CSV match the rows shown', async () => {
    const [context, page] = await open({ javaScriptEnabled: false });
    await page.goto(`${server.url}/villages/${VILLAGE}/ledger?period=2025-10`);
    await noOverflow(page);
    await page.getByText('按科目、收支、金额、文字筛选').click();
    await page.getByLabel('科目').selectOption('51304');
    await page.getByRole('button', { name: '查看' }).click();
    await page.waitForURL((u) => u.searchParams.get('account') === '51304');
    expect(new URL(page.url()).searchParams.get('period')).toBe('2025-10');

    const rows = page.locator('#ledger-table tbody tr');
    const count = await rows.count();
    expect(count).toBeGreaterThan(0);
    let expenseFen = 0;
    let incomeFen = 0;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const row = rows.nth(i);
      expect(await row.getAttribute('data-account')).toBe('51304');
      expect(await row.locator('.account').textContent()).toContain('招待费');
      const fen = Number(await row.getAttribute('data-amount-fen'));
      if ((await row.getAttribute('data-direction')) === 'expense') expenseFen += fen;
      else incomeFen += fen;
      expect(await row.locator('.amount').textContent()).toContain(yuan(fen));
      ids.push((await row.getAttribute('data-id'))!);
    }
    const totals = page.locator('#shown-totals');
    expect(Number(await totals.getAttribute('data-expense-fen'))).toBe(expenseFen);
    expect(Number(await totals.getAttribute('data-income-fen'))).toBe(incomeFen);
    expect(await totals.textContent()).toContain(`${count} 笔`);
    expect(await totals.textContent()).toContain(`支出 ${yuan(expenseFen)}`);
    expect(await page.locator('#root-hash').textContent()).toMatch(/^[0-9a-f]{64}$/);
    await noOverflow(page);

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-csv').click()]);
    expect(download.suggestedFilename()).toBe(`ledger-${VILLAGE}-2025-10-filtered.csv`);
    const bytes = await readFile((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = parseCsv(bytes.subarray(3).toString('utf8'));
    expect(csv[0]).toContain('金额（元）');
    expect(csv[0]).toContain('amountFen');
    const body = csv.slice(1);
    expect(body).toHaveLength(count);
    const idColumn = csv[0]!.indexOf('分录ID');
    const fenColumn = csv[0]!.indexOf('amountFen');
    const yuanColumn = csv[0]!.indexOf('金额（元）');
    expect(body.map((r) => r[idColumn])).toEqual(ids);
    for (const r of body) {
      expect(r[csv[0]!.indexOf('科目编码')]).toBe('51304');
      expect(r[yuanColumn]).toBe(yuan(Number(r[fenColumn])).replace(/[¥,]/g, ''));
    }
    expect(body.reduce((s, r) => s + Number(r[fenColumn]), 0)).toBe(expenseFen + incomeFen);

    // The JSON download of the same filter has the same rows.
    const json = (await (await fetch(`${server.url}/villages/${VILLAGE}/ledger.json?period=2025-10&account=51304`)).json()) as {
      rows: { id: string; amount: string; amountFen: number }[];
    };
    expect(json.rows.map((r) => r.id)).toEqual(ids);
    await context.close();
  });

  it('shows an entry with its vouchers and, with JavaScript, checks its inclusion proof', async () => {
    const entry = piiEntries.find((e) => e.village === VILLAGE)!;
    const url = `${server.url}/villages/${VILLAGE}/entries/${entry.id}`;
    const [context, page] = await open();
    await page.goto(url);
    await page.locator('#verify-status.ok').waitFor({ timeout: 20_000 });
    expect(await page.locator('#verify-status').textContent()).toBe(OK);
    const thumbnails = page.locator('#vouchers img');
    expect(await thumbnails.count()).toBeGreaterThan(0);
    await thumbnails.first().scrollIntoViewIfNeeded();
    await expect.poll(() => thumbnails.first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await page.locator('#vouchers a').first().getAttribute('href')).toMatch(/^\/api\/v1\/public\/vouchers\/[0-9a-f]{64}$/);
    await noOverflow(page);
    await page.screenshot({ path: path.join(shots, 'entry-zh.png'), fullPage: true });
    await context.close();

    const [plain, noScript] = await open({ javaScriptEnabled: false });
    await noScript.goto(url);
    expect(await noScript.locator('#leaf-index').textContent()).toMatch(/^\d+$/);
    expect(await noScript.locator('#tree-size').textContent()).toMatch(/^\d+$/);
    expect(await noScript.locator('#log-root').textContent()).toMatch(/^[0-9a-f]{64}$/);
    const proof = noScript.locator('#proof li');
    expect(await proof.count()).toBeGreaterThan(0);
    expect(await proof.first().textContent()).toMatch(/^[0-9a-f]{64}$/);
    expect(await noScript.locator('#verify-status').isHidden()).toBe(true);
    await noOverflow(noScript);
    await plain.close();
  });

  it('answers a request with the current ETag with 304', async () => {
    const entry = piiEntries.find((e) => e.village === VILLAGE)!;
    for (const p of [
      `/villages/${VILLAGE}`,
      `/en/villages/${VILLAGE}`,
      `/villages/${VILLAGE}/ledger?period=2025-10&account=51304`,
      `/villages/${VILLAGE}/ledger.csv?period=2025-10&account=51304`,
      `/villages/${VILLAGE}/entries/${entry.id}`,
    ]) {
      const first = await fetch(`${server.url}${p}`);
      expect(first.status, p).toBe(200);
      await first.arrayBuffer();
      const etag = first.headers.get('etag');
      expect(etag, p).toBeTruthy();
      const second = await fetch(`${server.url}${p}`, { headers: { 'If-None-Match': etag! } });
      expect(second.status, p).toBe(304);
      const other = await fetch(`${server.url}${p}`, { headers: { 'If-None-Match': 'W/"something-else"' } });
      expect(other.status, p).toBe(200);
      await other.arrayBuffer();
    }
  });

  it('shows no personal number in clear on the ledger and entry pages of those entries', async () => {
    expect(piiEntries.length).toBeGreaterThan(0);
    for (const e of piiEntries) {
      for (const p of [
        `/villages/${e.village}/ledger?period=${e.period}`,
        `/villages/${e.village}/ledger.csv?period=${e.period}`,
        `/villages/${e.village}/ledger.json?period=${e.period}`,
        `/villages/${e.village}/entries/${e.id}`,
        `/en/villages/${e.village}/entries/${e.id}`,
      ]) {
        const res = await fetch(`${server.url}${p}`);
        expect(res.status, p).toBe(200);
        const text = await res.text();
        expect(text, p).toContain(e.idNo.slice(-4)); // the masked form is there…
        expect(text, p).not.toContain(e.idNo); // …the number is not
        expect(text, p).not.toContain(e.card);
        expect(text, p).not.toContain(e.idNo.slice(6, 14));
      }
      // Searching for the hidden digits finds nothing.
      const probe = await fetch(`${server.url}/villages/${e.village}/ledger.json?period=${e.period}&q=${e.idNo.slice(6, 14)}`);
      expect(((await probe.json()) as { rows: unknown[] }).rows).toEqual([]);
    }
  });
});
