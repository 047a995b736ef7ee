// node tests/bench/support/same-by-county.ts <postgres url> [villages-per-incremental] [rule-id,…]
// Checks on a kept bench database (npm run bench:checks -- --keep) that every rule finds exactly
// the same when a run goes county by county (jobs/checks.ts executeRun: one prepared spending
// table per county, findings of the county's villages only) as over the whole scope at once,
// computed from the ledger directly: for a full scope, an incremental one and a spread one
// (every 37th village, so most counties hold a few villages of the run), and the villages of the
// rule's findings over every village.
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../../db/client.ts';
import { rules } from '../../../jobs/rules/index.ts';
import { cmp, prepareSpending, queryRows } from '../../../jobs/rules/lib.ts';
import type { Finding, RuleScope } from '../../../jobs/rules/rule.ts';

const [url, some = '30', only] = process.argv.slice(2);
const d = await openDatabase({ kind: 'postgres', url: url!, maxConnections: 2 });
const all = (await queryRows<{ code: string }>(d.db, sql`select code from regions where level = 'village' order by code`)).map((r) => r.code);
const asOf = '2026-01-31';
const scopes: [string, string[]][] = [
  ['full', all],
  ['incremental', all.slice(0, Number(some))],
  ['spread', all.filter((_, i) => i % 37 === 0)],
];
const bySubject = (a: Finding, b: Finding) => cmp(a.subject, b.subject);
let bad = 0;
// A fourth scope per rule: just the villages of its findings over every village (so a group
// crossing county lines is checked from scopes that hold nothing else of the other county).
const found = new Map<string, string[]>();
for (const [name, all] of [...scopes, ['found', []] as [string, string[]]]) {
  for (const rule of only ? rules.filter((r) => only.split(',').includes(r.id)) : rules) {
    const villages = name === 'found' ? (found.get(rule.id) ?? []) : all;
    if (!villages.length) continue;
    const counties = new Map<string, string[]>();
    for (const v of villages) counties.set(`${v.slice(0, 6)}000000`, [...(counties.get(`${v.slice(0, 6)}000000`) ?? []), v]);
    const params = new Map<string, unknown>();
    const whole: RuleScope = { region: '510000000000', villages, asOf };
    const plain = rule.evaluate(await rule.gather(d.db, whole, params as never), params as never, whole).sort(bySubject);
    const grouped: Finding[] = [];
    for (const [county, list] of counties) {
      grouped.push(
        ...(await d.db.transaction(async (tx) => {
          const s = await prepareSpending(tx, { region: county, villages: list, asOf });
          return rule.evaluate(await rule.gather(tx, s, params as never), params as never, s);
        })),
      );
    }
    grouped.sort(bySubject);
    if (name === 'full') found.set(rule.id, [...new Set(plain.flatMap((f) => (f.villageCode ? [f.villageCode] : [])))].sort(cmp));
    const same = isDeepStrictEqual(plain, grouped);
    if (!same) bad++;
    console.log(
      `${name.padEnd(12)} ${rule.id.padEnd(28)} ${String(plain.length).padStart(6)} ${same ? 'same' : `DIFFERENT (${grouped.length})`}  ${counties.size} counties`,
    );
  }
}
await d.close();
process.exitCode = bad ? 1 : 0;
