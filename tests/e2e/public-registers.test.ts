// The public registers of a village in chromium at 360 px: the micro-power list with its flow
// charts (zh and en, no JavaScript needed), decisions with their 四议两公开 timeline and linked
// spending, policies, the printable notice board (one A4 page, root hash and two QR codes, no
// personal number in clear) and the Atom feeds.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from '../support/browser.ts';
import { demoDataDirCopy, removeDir, startServer, type ServerProcess } from '../support/server.ts';

const VILLAGE = '519901101201';
const COUNTY = '519901000000';
const TOWNSHIP = '519901101000';
const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const NO_JS_PHONE = { ...PHONE, javaScriptEnabled: false };
const truth = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../db/demo/qingshan/truth.json'), 'utf8')) as {
  pii: { village: string; voucherNo: string; idNo: string; card: string }[];
};
const powers = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../db/demo/qingshan/powers.json'), 'utf8')) as {
  name: string;
  steps: unknown[];
}[];

/** Pages in a PDF (each page object is `/Type /Page`; the tree nodes are `/Type /Pages`). */
const pdfPages = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
const mediaBoxes = (pdf: Buffer) => [...new Set(pdf.toString('latin1').match(/\/MediaBox\s*\[[^\]]*\]/g) ?? [])];

describe.skipIf(!hasChromium)('public registers and the notice board (chromium, 360 px)', () => {
  let server: ServerProcess;
  let browser: Browser;
  const dir = demoDataDirCopy();
  const shots = path.join(tmpdir(), 'ygcw-screenshots');

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }), launchBrowser()]);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  async function open(context: BrowserContext, url: string): Promise<Page> {
    const page = await context.newPage();
    const res = await page.goto(`${server.url}${url}`);
    expect(res?.status(), url).toBe(200);
    return page;
  }

  const noOverflow = async (page: Page) => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  it('shows the micro-power list with a flow chart per power and its steps, in Chinese and English, without JavaScript', async () => {
    const context = await browser.newContext(NO_JS_PHONE);
    for (const [prefix, heading] of [['', '小微权力清单'], ['/en', 'village powers']] as const) {
      const page = await open(context, `${prefix}/villages/${VILLAGE}/powers`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain(heading);
      const cards = page.getByTestId('power');
      expect(await cards.count()).toBe(powers.length);
      for (let i = 0; i < powers.length; i++) {
        const card = cards.nth(i);
        const name = (await card.getByRole('heading', { level: 3 }).textContent())!.trim();
        const expected = powers.find((p) => p.name === name);
        expect(expected, name).toBeDefined();
        const chart = card.locator('figure.flowchart svg[role="img"]');
        expect(await chart.count()).toBe(1);
        expect(await chart.getAttribute('aria-label')).toContain(name);
        expect(await chart.locator('rect').count()).toBe(expected!.steps.length);
        expect(await card.getByTestId('power-steps').locator('li').count()).toBe(expected!.steps.length);
        // the chart is drawn: it has a real size on the page
        const box = await chart.boundingBox();
        expect(box!.width).toBeGreaterThan(200);
        expect(box!.height).toBeGreaterThan(60 * expected!.steps.length);
      }
      expect(await page.locator('.duty-list > li').count()).toBe(5);
      expect(await page.locator('figure.flowchart script, figure.flowchart foreignObject').count()).toBe(0);
      await noOverflow(page);
      await page.screenshot({ path: path.join(shots, `powers${prefix.replace('/', '-')}.png`), fullPage: true });
    }
    await context.close();
  });

  it('shows decisions with their 四议两公开 timeline, recorded and missing steps, and the spending linked to each', async () => {
    // One decision with its steps recorded, through the API.
    const signIn = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
    });
    const cookie = signIn.headers.getSetCookie().find((c) => c.startsWith('ygcw_session='))!.split(';')[0]!;
    const created = await fetch(`${server.url}/api/v1/villages/${VILLAGE}/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({
        ref: '决-2025-E2E',
        title: '村委会办公楼维修',
        decidedOn: '2025-03-12',
        amountFen: 500_000,
        steps: [
          { kind: 'proposal', date: '2025-03-01' },
          { kind: 'consultation', date: '2025-03-03', attendance: 7, votesFor: 7 },
          { kind: 'review', date: '2025-03-08', attendance: 31, votesFor: 29, votesAgainst: 1, votesAbstain: 1 },
          { kind: 'resolution', date: '2025-03-12', attendance: 45, votesFor: 41, votesAgainst: 2, votesAbstain: 2 },
        ],
      }),
    });
    expect(created.status).toBe(201);

    const context = await browser.newContext(NO_JS_PHONE);
    const page = await open(context, `/villages/${VILLAGE}/decisions`);
    const decisions = page.getByTestId('decision');
    expect(await decisions.count()).toBe(6);
    for (let i = 0; i < 6; i++) expect(await decisions.nth(i).getByTestId('timeline').locator('li').count()).toBe(6);

    const recorded = decisions.filter({ hasText: '决-2025-E2E' });
    const steps = recorded.getByTestId('timeline').locator('li');
    expect(await recorded.getByTestId('timeline').locator('li.done').count()).toBe(4);
    expect(await steps.nth(2).textContent()).toMatch(/党员大会审议\s*2025-03-08\s*31 人到会，赞成 29，反对 1，弃权 1/);
    expect(await steps.nth(4).textContent()).toContain('未记录');
    expect(await recorded.getByTestId('linked-spending').count()).toBe(0);

    // 决-2025-03 (产业路修建) was paid in 2025-10, and the payment links to its entry page
    const road = decisions.filter({ hasText: '决-2025-03' });
    const linked = road.getByTestId('linked-spending').locator('li');
    expect(await linked.count()).toBeGreaterThanOrEqual(1);
    expect(await linked.first().textContent()).toContain('产业路修建工程款');
    expect(await linked.first().locator('a').getAttribute('href')).toMatch(new RegExp(`^/villages/${VILLAGE}/entries/[0-9a-f-]{36}$`));
    expect(await road.getByTestId('decision-spent').textContent()).toContain('¥40,100.00');
    await noOverflow(page);
    await page.screenshot({ path: path.join(shots, 'decisions.png'), fullPage: true });

    const en = await open(context, `/en/villages/${VILLAGE}/decisions`);
    expect(await en.getByTestId('timeline').first().textContent()).toContain('not recorded');
    await noOverflow(en);
    await context.close();
  });

  it('shows the policies with conditions, procedure, documents, contact and validity, the expired one marked', async () => {
    const context = await browser.newContext(NO_JS_PHONE);
    const page = await open(context, `/villages/${VILLAGE}/policies`);
    const policies = page.getByTestId('policy');
    expect(await policies.count()).toBe(3);
    const text = (await page.locator('main').textContent())!;
    for (const word of ['申请条件', '办理流程', '所需材料', '咨询联系', '有效期']) expect(text).toContain(word);
    // the server's clock is today's, past 2025-12-31: 城乡居民最低生活保障 has expired; expired ones come last
    const statuses = await policies.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses.indexOf('expired')).toBeGreaterThan(0);
    expect(statuses.slice(statuses.indexOf('expired')).every((s) => s === 'expired')).toBe(true);
    const subsistence = policies.filter({ hasText: '城乡居民最低生活保障' });
    expect(await subsistence.getAttribute('data-status')).toBe('expired');
    expect(await subsistence.textContent()).toContain('已过期');
    expect(await policies.filter({ hasText: '耕地地力保护补贴' }).getAttribute('data-status')).toBe('current');
    await noOverflow(page);
    await context.close();
  });

  it('prints the notice board of 2025-06 on one A4 page with the root hash and two QR codes', async () => {
    const period = '2025-06';
    const ledger = (await (await fetch(`${server.url}/api/v1/public/villages/${VILLAGE}/ledger?period=${period}`)).json()) as {
      rootHash: string;
      items: { voucherNo: string }[];
    };
    const context = await browser.newContext(PHONE);
    const page = await open(context, `/villages/${VILLAGE}/notice/${period}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('沙湾村');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('2025年6月');
    expect(await page.getByTestId('notice-entries').locator('tbody tr').count()).toBe(ledger.items.length);
    const hashText = (await page.getByTestId('root-hash').textContent())!.trim();
    expect(hashText.replace(/\s/g, '')).toBe(ledger.rootHash);
    expect(hashText.split(' ').every((g) => g.length === 4)).toBe(true);
    const qrs = page.locator('.notice-qr svg');
    expect(await qrs.count()).toBe(2);
    expect(await page.getByTestId('ledger-qr').textContent()).toContain(`${server.url}/villages/${VILLAGE}/ledger?period=${period}`);
    await noOverflow(page);
    await page.screenshot({ path: path.join(shots, 'notice-phone.png'), fullPage: true });
    expect(await qrs.evaluateAll((els) => els.map((e) => e.getAttribute('role')))).toEqual(['img', 'img']);
    // printed from the phone, too, it is one page
    expect(pdfPages(await page.pdf({ format: 'A4' }))).toBe(1);
    await context.close();

    // Printing happens on the office computer: a desktop browser.
    const desk = await browser.newContext();
    const printed = await open(desk, `/villages/${VILLAGE}/notice/${period}`);
    const pdf = await printed.pdf({ format: 'A4' });
    expect(pdfPages(pdf)).toBe(1);
    await printed.emulateMedia({ media: 'print' });
    expect(await printed.locator('.site-header').isVisible()).toBe(false);
    expect(await printed.locator('.site-footer').isVisible()).toBe(false);
    expect(await printed.getByTestId('root-hash').isVisible()).toBe(true);
    expect(await printed.locator('.notice-qr svg').count()).toBe(2);
    // A4 minus the 12 mm margins, at 96 px per inch
    await printed.setViewportSize({ width: 703, height: 1032 });
    expect(await printed.evaluate(() => document.documentElement.scrollHeight)).toBeLessThanOrEqual(1032);
    await printed.screenshot({ path: path.join(shots, 'notice-print.png'), fullPage: true });
    // The page asks for A4 itself (@page size), and for A3 with ?paper=a3.
    expect(mediaBoxes(await printed.pdf({ preferCSSPageSize: true }))).toEqual([expect.stringMatching(/\[0 0 59[45]\.\d+ 84[12]\.\d+\]/)]);
    const a3 = await open(desk, `/villages/${VILLAGE}/notice/${period}?paper=a3`);
    const a3pdf = await a3.pdf({ preferCSSPageSize: true });
    expect(pdfPages(a3pdf)).toBe(1);
    expect(mediaBoxes(a3pdf)).toEqual([expect.stringMatching(/\[0 0 84[12]\.\d+ 119[01]\.\d+\]/)]);

    // A busy month still fits: 2025-10 (with a long, masked summary) grown to 25 rows by copying its own.
    const busy = await open(desk, `/villages/${VILLAGE}/notice/2025-10`);
    await busy.evaluate(() => {
      const body = document.querySelector('[data-testid="notice-entries"] tbody')!;
      const rows = [...body.querySelectorAll('tr')];
      for (let i = 0; body.querySelectorAll('tr').length < 25; i++) body.appendChild(rows[i % rows.length]!.cloneNode(true));
    });
    expect(pdfPages(await busy.pdf({ format: 'A4' }))).toBe(1);
    await desk.close();
  });

  it('shows no personal number in clear on the notice board of the periods that hold them', async () => {
    const context = await browser.newContext(NO_JS_PHONE);
    for (const p of truth.pii) {
      const period = /^记-(\d{4}-\d{2})-/.exec(p.voucherNo)![1]!;
      const res = await fetch(`${server.url}/villages/${p.village}/notice/${period}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain(p.voucherNo);
      for (const secret of [p.idNo, p.card]) expect(html.replace(/\s|-/g, '')).not.toContain(secret);
      const page = await open(context, `/villages/${p.village}/notice/${period}`);
      const text = (await page.locator('body').textContent())!.replace(/\s|-/g, '');
      expect(text).not.toContain(p.idNo);
      expect(text).not.toContain(p.card);
      expect(text).toContain(`${p.idNo.slice(0, 6)}********${p.idNo.slice(-4)}`);
      await page.close();
    }
    await context.close();
  });

  it('serves Atom feeds that parse as XML with one entry per publication (at most 100 for a region)', async () => {
    const periods = (await (await fetch(`${server.url}/api/v1/public/villages/${VILLAGE}/periods`)).json()) as { periods: unknown[] };
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    await page.goto(`${server.url}/villages/${VILLAGE}/powers`);
    const cases = [
      { url: `/villages/${VILLAGE}/feed.xml`, entries: periods.periods.length, title: '沙湾村 2025-12 账目已公开' },
      { url: `/en/villages/${VILLAGE}/feed.xml`, entries: periods.periods.length, title: '沙湾村: accounts for 2025-12 published' },
      { url: `/regions/${TOWNSHIP}/feed.xml`, entries: 100, title: '账目已公开' },
      { url: `/regions/${COUNTY}/feed.xml`, entries: 100, title: '账目已公开' },
    ];
    for (const c of cases) {
      const res = await fetch(`${server.url}${c.url}`);
      expect(res.status, c.url).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
      const xml = await res.text();
      const parsed = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'application/xml');
        const NS = 'http://www.w3.org/2005/Atom';
        const entries = [...doc.getElementsByTagNameNS(NS, 'entry')];
        const child = (el: Element, name: string) => el.getElementsByTagNameNS(NS, name)[0]?.textContent ?? null;
        return {
          error: doc.getElementsByTagName('parsererror').length > 0,
          root: doc.documentElement.namespaceURI + ' ' + doc.documentElement.localName,
          id: child(doc.documentElement, 'id'),
          updated: child(doc.documentElement, 'updated'),
          author: doc.documentElement.getElementsByTagNameNS(NS, 'author').length,
          entries: entries.map((e) => ({
            id: child(e, 'id'),
            title: child(e, 'title'),
            updated: child(e, 'updated'),
            summary: child(e, 'summary'),
            link: e.getElementsByTagNameNS(NS, 'link')[0]?.getAttribute('href') ?? null,
          })),
        };
      }, xml);
      expect(parsed.error, c.url).toBe(false);
      expect(parsed.root).toBe('http://www.w3.org/2005/Atom feed');
      expect(parsed.id).toMatch(/^urn:uuid:/);
      expect(parsed.updated).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(parsed.author).toBe(1);
      expect(parsed.entries).toHaveLength(c.entries);
      expect(parsed.entries[0]!.title).toContain(c.title);
      expect(new Set(parsed.entries.map((e) => e.id)).size).toBe(c.entries);
      for (const e of parsed.entries) {
        expect(e.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
        expect(e.link).toMatch(/\/villages\/\d{12}\/ledger\?period=\d{4}-\d\d$/);
        expect(e.summary).toMatch(/[0-9a-f]{64}/);
      }
      // newest first
      const times = parsed.entries.map((e) => Date.parse(e.updated!));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      // a reader that has this version gets 304
      const again = await fetch(`${server.url}${c.url}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
    await context.close();
  });

  it('answers 404 for an unpublished period, a non-village and a bad period', async () => {
    for (const url of [`/villages/${VILLAGE}/notice/2030-01`, `/villages/${TOWNSHIP}/powers`, `/villages/${VILLAGE}/notice/2025-13`, '/villages/123/feed.xml']) {
      expect((await fetch(`${server.url}${url}`)).status, url).toBe(404);
    }
  });
});
