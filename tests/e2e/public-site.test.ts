// Every public route of the demo county in both languages: it answers, passes axe with no
// violations, fits a 360 px screen, and shows no planted personal number in clear. Screenshots
// at 360 px are kept in the temp directory for a person to look at.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDir } from '../../db/demo.ts';
import { hasChromium, launchBrowser } from '../support/browser.ts';
import { demoDataDirCopy, removeDir, startServer, type ServerProcess } from '../support/server.ts';

const truth = JSON.parse(await readFile(path.join(demoDir, 'truth.json'), 'utf8')) as {
  villages: string[];
  pii: { village: string; voucherNo: string; idNo: string; card: string }[];
};
const VILLAGE = '519901101201';
const shots = path.join(tmpdir(), 'ygcw-screenshots');

/** The public routes of interchange.md (and the site's own), for one village and period. */
const routes = (village: string, period: string, entryId: string) => [
  '/',
  '/regions/519901000000',
  '/regions/519901101000',
  `/villages/${village}`,
  `/villages/${village}/ledger?period=${period}`,
  `/villages/${village}/entries/${entryId}`,
  `/villages/${village}/powers`,
  `/villages/${village}/decisions`,
  `/villages/${village}/policies`,
  `/villages/${village}/notice/${period}`,
  '/search?q=维修',
];

describe.skipIf(!hasChromium)('the public site', () => {
  let server: ServerProcess;
  let browser: Browser;
  const dir = demoDataDirCopy();

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }), launchBrowser()]);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  const entryOf = async (village: string, voucherNo: string) => {
    const period = voucherNo.slice(2, 9);
    const ledger = (await (await fetch(`${server.url}/api/v1/public/villages/${village}/ledger?period=${period}`)).json()) as {
      items: { id: string; voucherNo: string }[];
    };
    return { period, id: ledger.items.find((i) => i.voucherNo === voucherNo)!.id };
  };

  for (const lang of ['zh', 'en'] as const) {
    it(`every route answers in ${lang}, passes axe and fits 360 px`, async () => {
      const { period, id } = await entryOf(VILLAGE, truth.pii[0]!.voucherNo);
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: lang === 'zh' ? 'zh-CN' : 'en' });
      const page = await context.newPage();
      for (const route of routes(VILLAGE, period, id)) {
        const url = `${server.url}${lang === 'en' ? `/en${route}` : route}`;
        const res = await page.goto(url);
        expect(res?.status(), url).toBe(200);
        expect(await page.getAttribute('html', 'lang'), url).toBe(lang === 'zh' ? 'zh-CN' : 'en');
        const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
        expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), url).toEqual([]);
        expect(await page.evaluate(() => document.documentElement.scrollWidth), url).toBeLessThanOrEqual(360);
        const name = `${lang}${route.replace(/[^a-z0-9]+/gi, '-')}`.slice(0, 80);
        await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
      }
      await context.close();
    });
  }

  it('answers every route for every demo village in both languages', async () => {
    for (const village of truth.villages) {
      const periods = (await (await fetch(`${server.url}/api/v1/public/villages/${village}/periods`)).json()) as { periods: { period: string }[] };
      const period = periods.periods.at(-1)!.period;
      const ledger = (await (await fetch(`${server.url}/api/v1/public/villages/${village}/ledger?period=${period}`)).json()) as { items: { id: string }[] };
      for (const route of routes(village, period, ledger.items[0]!.id)) {
        for (const prefix of ['', '/en']) {
          const res = await fetch(`${server.url}${prefix}${route}`);
          expect(res.status, `${prefix}${route}`).toBe(200);
          await res.arrayBuffer();
        }
      }
    }
  });

  it('shows no planted personal number in clear on any public route of its village', async () => {
    for (const pii of truth.pii) {
      const { period, id } = await entryOf(pii.village, pii.voucherNo);
      for (const lang of ['', '/en']) {
        for (const route of [
          ...routes(pii.village, period, id),
          `/villages/${pii.village}/ledger.csv?period=${period}`,
          `/villages/${pii.village}/ledger.json?period=${period}`,
          `/villages/${pii.village}/feed.xml`,
          `/api/v1/public/villages/${pii.village}/ledger?period=${period}`,
        ]) {
          const res = await fetch(`${server.url}${route.startsWith('/api') ? '' : lang}${route}`);
          const text = await res.text();
          expect(res.status, route).toBe(200);
          for (const secret of [pii.idNo, pii.card]) {
            expect(text.includes(secret), `${route} shows ${secret}`).toBe(false);
          }
        }
      }
    }
  });
});
