// node tests/bench/support/time-statement.ts <postgres url | PGlite directory> [reps] [rule-id,…]
// Times the statement a full check run sends for each county of a kept bench database (every
// rule's query with default parameters, or the rules named), as checkCounty sends it (in a
// transaction with the run's settings), `reps` times (default 7), alternating the counties; prints
// each county's median and the sum of medians. For A/B of a change to the rules' SQL: run it
// before and after on the same database (fresh bench runs vary too much to compare).
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows } from '../../../db/client.ts';
import { rules } from '../../../jobs/rules/index.ts';
import { queryRules, useCheckSettings } from '../../../jobs/rules/lib.ts';
import type { RuleScope } from '../../../jobs/rules/rule.ts';

const [target, repsArg, only] = process.argv.slice(2);
if (!target) throw new Error('usage: time-statement.ts <postgres url | PGlite directory> [reps] [rule-id,…]');
const d = target.includes('://')
  ? await openDatabase({ kind: 'postgres', url: target, maxConnections: 1 })
  : await openDatabase({ kind: 'pglite', dir: target });
const reps = Number(repsArg ?? 7);
const chosen = rules.filter((r) => !only || only.split(',').includes(r.id));
const villages = (await queryRows<{ code: string }>(d.db, sql`select code from regions where level = 'village' order by code`)).map((r) => r.code);
const counties = [...new Set(villages.map((v) => v.slice(0, 6)))];
const times = new Map<string, number[]>(counties.map((c) => [c, []]));
for (let i = 0; i < reps; i++) {
  for (const county of counties) {
    const scope: RuleScope = { region: `${county}000000`, villages: villages.filter((v) => v.startsWith(county)), asOf: '2026-01-31', wholeCounties: true };
    const queries = chosen.map((r) => r.query(scope, new Map() as never));
    const t = performance.now();
    await d.db.transaction(async (tx) => {
      await useCheckSettings(tx);
      await queryRules(tx, scope, queries);
    });
    times.get(county)!.push(performance.now() - t);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let sum = 0;
for (const [county, xs] of times) {
  const m = median(xs);
  sum += m;
  console.log(`${county}: median ${m.toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`);
}
console.log(`sum of medians: ${sum.toFixed(1)} ms`);
await d.close();
