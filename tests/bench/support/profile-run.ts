// node tests/bench/support/profile-run.ts <postgres url> ['<SQL>']
// Times each step of a full check run county by county on a kept bench database, as executeRun
// does it (prepareSpending, parameters, gather, evaluate, recording), without storing alerts.
// The optional SQL (e.g. `set local random_page_cost = 1.1`) runs first in each county's
// transaction, to measure a setting's effect.
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../../db/client.ts';
import { rules } from '../../../jobs/rules/index.ts';
import { effectiveParams } from '../../../db/thresholds.ts';
import { prepareSpending } from '../../../jobs/rules/lib.ts';
import { recordFindings } from '../../../db/alerts.ts';
const [url, setting] = process.argv.slice(2);
const d = await openDatabase({ kind: 'postgres', url: url!, maxConnections: 2 });
const db = d.db;
const res = (await db.execute(sql`select code from regions where level='village' order by code`)) as any[];
const all = res.map((r) => r.code as string);
const counties = [...new Set(all.map((v) => v.slice(0, 6)))];
class Rollback extends Error {}
const times = new Map<string, number>();
const add = (k: string, t: number) => times.set(k, (times.get(k) ?? 0) + performance.now() - t);
const [run] = (await db.execute(sql`select id from check_runs limit 1`)) as any[];
const t0 = performance.now();
for (const c of counties) {
  const villages = all.filter((v) => v.startsWith(c));
  const regions = [...new Set([...villages, ...villages.map((v) => v.slice(0, 9) + '000'), c + '000000'])];
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local work_mem = '64MB'`);
    if (setting) await tx.execute(sql.raw(setting));
    let t = performance.now();
    const scope = await prepareSpending(tx, { region: c + '000000', villages, asOf: '2026-01-31' });
    add('prepare', t);
    for (const rule of rules) {
      await tx.transaction(async (sp) => {
        t = performance.now();
        const eff = await effectiveParams(sp, rule.id, regions, (raw) => rule.params.parse(raw));
        const params = new Map([...eff].map(([code, e]) => [code, e.params]));
        add('params', t);
        t = performance.now();
        const input = await rule.gather(sp, scope, params as any);
        add('gather ' + rule.id, t);
        t = performance.now();
        const findings = rule.evaluate(input, params as any, scope);
        add('evaluate', t);
        t = performance.now();
        await recordFindings(sp, { runId: run.id, now: new Date(), ruleId: rule.id, ruleVersion: rule.version, findings, paramsVersion: () => 'default', coveredRegions: regions }).catch((e) => console.log(String(e).slice(0, 200)));
        add('record', t);
        throw new Rollback();
      }).catch((e) => { if (!(e instanceof Rollback)) throw e; });
    }
  });
}
console.log('total', Math.round(performance.now() - t0));
for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) console.log(k.padEnd(36), Math.round(v));
await d.close();
