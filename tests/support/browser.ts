// Debian's chromium driven by playwright-core. Without chromium the browser tests are skipped
// with a printed reason, except under CI, where its absence fails them.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
