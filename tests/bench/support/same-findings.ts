// node tests/bench/support/same-findings.ts <postgres url> [villages-per-incremental]
// Checks on a kept bench database (npm run bench:checks -- --keep) that every rule finds exactly
// the same with the run's prepared spending table as computed from the ledger directly, for a
// full scope and for an incremental one.
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../../db/client.ts';
import { rules } from '../../../jobs/rules/index.ts';
import { prepareSpending, queryRows } from '../../../jobs/rules/lib.ts';
import type { RuleScope } from '../../../jobs/rules/rule.ts';

const [url, some = '30'] = process.argv.slice(2);
const d = await openDatabase({ kind: 'postgres', url: url!, maxConnections: 2 });
const all = (await queryRows<{ code: string }>(d.db, sql`select code from regions where level = 'village' order by code`)).map((r) => r.code);
const scopes: [string, RuleScope][] = [
  ['full', { region: '510000000000', villages: all, asOf: '2026-01-31' }],
  ['incremental', { region: '510000000000', villages: all.slice(0, Number(some)), asOf: '2026-01-31' }],
  ['spread', { region: '510000000000', villages: all.filter((_, i) => i % 37 === 0), asOf: '2026-01-31' }],
];
let bad = 0;
for (const [name, scope] of scopes) {
  for (const rule of rules) {
    const params = new Map<string, unknown>();
    const plain = rule.evaluate(await rule.gather(d.db, scope, params as never), params as never, scope);
    const prepared = await d.db.transaction(async (tx) => {
      const s = await prepareSpending(tx, scope);
      return rule.evaluate(await rule.gather(tx, s, params as never), params as never, s);
    });
    const same = isDeepStrictEqual(plain, prepared);
    if (!same) bad++;
    console.log(`${name.padEnd(12)} ${rule.id.padEnd(28)} ${String(plain.length).padStart(6)} ${same ? 'same' : `DIFFERENT (${prepared.length})`}`);
  }
}
await d.close();
process.exitCode = bad ? 1 : 0;
