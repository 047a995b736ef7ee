// node tests/bench/support/same-findings.ts <postgres url> [villages-per-incremental] [rule-id,…]
// Checks on a kept bench database (npm run bench:checks -- --keep) that every rule finds exactly
// the same when a run checks county by county, all the rules' queries in one statement per
// county (jobs/checks.ts: lib.ts queryRules, findings of the county's villages only), as when the
// rule runs alone over the whole scope at once: for a full scope, an incremental one and a spread
// one (every 37th village, so most counties hold a few villages of the run). Prints the time of
// both ways; exits 1 on any difference.
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../../db/client.ts';
import { rules as allRules } from '../../../jobs/rules/index.ts';
import { cmp, gatherInput, queryRows, queryRules } from '../../../jobs/rules/lib.ts';
import type { Finding, RuleScope } from '../../../jobs/rules/rule.ts';

const [url, some = '30', only] = process.argv.slice(2);
const rules = only ? allRules.filter((r) => only.split(',').includes(r.id)) : allRules;
const d = await openDatabase({ kind: 'postgres', url: url!, maxConnections: 2 });
const all = (await queryRows<{ code: string }>(d.db, sql`select code from regions where level = 'village' order by code`)).map((r) => r.code);
const asOf = '2026-01-31';
const scopes: [string, string[]][] = [
  ['full', all],
  ['incremental', all.slice(0, Number(some))],
  ['spread', all.filter((_, i) => i % 37 === 0)],
];
const bySubject = (a: Finding, b: Finding) => cmp(a.subject, b.subject);
const params = new Map<string, never>();
let bad = 0;
for (const [name, villages] of scopes) {
  // As a run: county by county, one statement each.
  let t = performance.now();
  const byCounty = new Map<string, Finding[]>();
  const counties = [...new Set(villages.map((v) => v.slice(0, 6)))];
  for (const county of counties) {
    const scope: RuleScope = {
      region: `${county}000000`,
      villages: villages.filter((v) => v.startsWith(county)),
      asOf,
      ...(name === 'full' ? { wholeCounties: true } : {}),
    };
    await d.db.transaction(async (tx) => {
      const rows = await queryRules(
        tx,
        scope,
        rules.map((r) => r.query(scope, params)),
      );
      for (const [i, rule] of rules.entries()) {
        const input = rule.gather ? await rule.gather(tx, rows[i]!, scope, params) : rows[i];
        byCounty.set(rule.id, [...(byCounty.get(rule.id) ?? []), ...rule.evaluate(input, params, scope)]);
      }
    });
  }
  const countyMs = performance.now() - t;
  // Each rule alone over the whole scope.
  t = performance.now();
  const whole: RuleScope = { region: '510000000000', villages, asOf };
  for (const rule of rules) {
    const alone = rule.evaluate(await gatherInput(d.db, rule, whole, params), params, whole).sort(bySubject);
    const run = (byCounty.get(rule.id) ?? []).sort(bySubject);
    const same = isDeepStrictEqual(alone, run);
    if (!same) bad++;
    console.log(`${name.padEnd(12)} ${rule.id.padEnd(28)} ${String(alone.length).padStart(6)} ${same ? 'same' : `DIFFERENT (${run.length})`}`);
  }
  console.log(`${name}: county by county ${Math.round(countyMs)} ms, each rule alone over the scope ${Math.round(performance.now() - t)} ms`);
}
await d.close();
process.exitCode = bad ? 1 : 0;
