// node tests/bench/support/explain.ts <postgres url> [county (6 digits)] [rule-id,…]
// Prints the plan (explain analyze) of the statement a check run sends for one county of a kept
// bench database (all the rules' queries, or the ones named), with the run's settings.
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../../db/client.ts';
import { rules } from '../../../jobs/rules/index.ts';
import { queryRows, spendingCtes, useCheckSettings } from '../../../jobs/rules/lib.ts';
import type { RuleScope } from '../../../jobs/rules/rule.ts';

const [url, county, only] = process.argv.slice(2);
const d = await openDatabase({ kind: 'postgres', url: url!, maxConnections: 1 });
const villages = (await queryRows<{ code: string }>(d.db, sql`select code from regions where level = 'village' order by code`)).map((r) => r.code);
const chosen = county ?? villages[0]!.slice(0, 6);
const scope: RuleScope = { region: `${chosen}000000`, villages: villages.filter((v) => v.startsWith(chosen)), asOf: '2026-01-31', wholeCounties: true };
const queries = rules
  .filter((r) => !only || only.split(',').includes(r.id))
  .map((r) => sql`(select count(*) from (${r.query(scope, new Map() as never) ?? sql`select 1 where false`}) q) as ${sql.identifier(r.id)}`);
await d.db.transaction(async (tx) => {
  await useCheckSettings(tx);
  await tx.execute(sql`set local enable_nestloop = off`); // as queryRules
  const plan = await queryRows<Record<string, string>>(tx, sql`explain (analyze, costs off) with ${spendingCtes(scope)} select ${sql.join(queries, sql`, `)}`);
  console.log(plan.map((r) => Object.values(r)[0]).join('\n'));
});
await d.close();
