// node tests/bench/support/explain.ts <postgres url> <rule id> [full|inc|county] [prepared]
// Prints the plan (explain analyze) of every query a rule's gather runs on a kept bench database;
// `county` takes the villages of the first county, `prepared` gathers as a run does (inside a
// transaction, with the scope's spending prepared: lib.ts prepareSpending).
import { sql, type SQL } from 'drizzle-orm';
import { openDatabase } from '../../../db/client.ts';
import { rules } from '../../../jobs/rules/index.ts';
import { effectiveParams } from '../../../db/thresholds.ts';
import { prepareSpending } from '../../../jobs/rules/lib.ts';
const [url, ruleId, mode, prepared] = process.argv.slice(2);
const d = await openDatabase({ kind: 'postgres', url: url!, maxConnections: 2 });
const db = d.db;
const res = (await db.execute(sql`select code from regions where level='village' order by code`)) as any[];
let villages = res.map((r) => r.code as string);
if (mode === 'inc') villages = villages.filter((_, i) => i % 7 === 0).slice(0, 30);
if (mode === 'county') villages = villages.filter((v) => v.startsWith(villages[0]!.slice(0, 6)));
const scope = { region: '510000000000', villages, asOf: '2026-01-31' };
const rule = rules.find((r) => r.id === ruleId)!;
const regions = [...new Set([...villages, ...villages.map((v) => v.slice(0, 9) + '000'), ...villages.map((v) => v.slice(0, 6) + '000000')])];
const eff = await effectiveParams(db, rule.id, regions, (raw) => rule.params.parse(raw));
const params = new Map([...eff].map(([c, e]) => [c, e.params]));
const explained = (x: any) => new Proxy(x, { get(t, p) { if (p === 'execute') return async (q: SQL) => { const plan = (await t.execute(sql`explain (analyze, costs off, buffers off) ${q}`)) as any[]; console.log(plan.map((r) => r['QUERY PLAN']).join('\n')); return t.execute(q); }; return (t as any)[p]; } });
const t = performance.now();
if (prepared) await db.transaction(async (tx) => { await tx.execute(sql`set local work_mem = '64MB'`); await rule.gather(explained(tx) as any, await prepareSpending(tx, scope), params as any); });
else await rule.gather(explained(db) as any, scope, params as any);
console.log('gather with explain', Math.round(performance.now() - t));
await d.close();
