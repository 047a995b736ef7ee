// Debian's chromium driven by playwright-core. Without chromium the browser tests are skipped
// with a printed reason, except under CI, where its absence fails them.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  const reason = `chromium not found at ${CHROMIUM} (apt-get install chromium): browser tests skipped`;
  if (process.env.CI) throw new Error(`${reason} — not allowed under CI`);
  console.warn(reason);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A cheap phone's screen, with and without JavaScript. */
export const PHONE = { viewport: { width: 360, height: 740 } };
export const NO_JS_PHONE = { ...PHONE, javaScriptEnabled: false };

/** Signs in through the plain /signin form of the server at `baseUrl` in a fresh context (a no-JS phone unless told). */
export async function signInPage(
  browser: Browser,
  baseUrl: string,
  username: string,
  password: string,
  options: BrowserContextOptions = NO_JS_PHONE,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(`${baseUrl}/signin`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL('**/staff');
  return { context, page };
}

/** Clicks a submit button and resolves with the response to the form's POST. */
export async function submit(page: Page, button: Locator) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.waitForNavigation({ waitUntil: 'load' }),
    button.click(),
  ]);
  return response;
}

/** The page fits a 360 px screen without sideways scrolling. */
export const fitsPhone = async (page: Page) => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
