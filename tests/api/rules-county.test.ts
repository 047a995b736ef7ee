// The check rules over the whole demo county (loaded and published), with default parameters:
// every planted anomaly of truth.json is found by one of its rules with all of its vouchers, the
// clean villages stay (nearly) quiet, evaluation is deterministic, and a reversed entry stops
// being spending.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { and, eq, inArray, like, lte, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../db/audit.ts';
import { demoDir } from '../../db/demo.ts';
import { createReversal } from '../../db/ledger/entries.ts';
import { publish } from '../../db/ledger/publish.ts';
import { ledgerEntries, regions } from '../../db/schema.ts';
import { rules } from '../../jobs/rules/index.ts';
import {
  accountNameColumn,
  evidenceColumns,
  gatherInput,
  normalizeRef,
  normalizeRefSql,
  partyKey,
  partyKeySql,
  queryJson,
  queryRows,
  queryRules,
  spendingCtes,
  withDetails,
} from '../../jobs/rules/lib.ts';
import { namesPerson, OWN_ACCOUNT_SUFFIXES } from '../../jobs/rules/related-party.ts';
import type { Params as SplitParams } from '../../jobs/rules/split-payment.ts';
import type { Finding, Rule, RuleScope } from '../../jobs/rules/rule.ts';
import { useTestApp } from '../support/app.ts';

interface Planted {
  rules: string[];
  village: string | null;
  region?: string;
  year?: number;
  voucherNos: string[];
  variant?: string;
}
interface Truth {
  county: string;
  asOf: string;
  villages: string[];
  clean: string[];
  planted: Planted[];
}

const truth = JSON.parse(readFileSync(path.join(demoDir, 'truth.json'), 'utf8')) as Truth;
const t = useTestApp({ demo: 'full' });

const scope: RuleScope = { region: truth.county, villages: [...truth.villages].sort(), asOf: truth.asOf };
let codes: string[] = [];
const paramsOf = (rule: Rule) => new Map(codes.map((c) => [c, rule.params.parse({})]));
const inputs = new Map<string, unknown>();
const findings = new Map<string, Finding[]>();

async function runAll(only?: (r: Rule) => boolean): Promise<Map<string, Finding[]>> {
  const out = new Map<string, Finding[]>();
  for (const rule of rules.filter(only ?? (() => true))) {
    const params = paramsOf(rule);
    const input = await gatherInput(t.database.db, rule, scope, params);
    inputs.set(rule.id, input);
    out.set(rule.id, rule.evaluate(input, params, scope));
  }
  return out;
}

/** Every rule's findings over a scope with all their queries in one statement, as a check run reads them. */
const inOneStatement = (run: RuleScope): Promise<Map<string, Finding[]>> =>
  t.database.db.transaction(async (tx) => {
    const params = rules.map(paramsOf);
    const rows = await queryRules(
      tx,
      run,
      rules.map((rule, i) => rule.query(run, params[i]!)),
    );
    const out = new Map<string, Finding[]>();
    for (const [i, rule] of rules.entries()) {
      const input = rule.gather ? await rule.gather(tx, rows[i]!, run, params[i]!) : rows[i];
      out.set(rule.id, rule.evaluate(input, params[i]!, run));
    }
    return out;
  });

beforeAll(async () => {
  const rows = await t.database.db
    .select({ code: regions.code })
    .from(regions)
    .where(like(regions.code, `${truth.county.slice(0, 6)}%`));
  codes = rows.map((r) => r.code).sort();
  for (const [id, list] of await runAll()) findings.set(id, list);
}, 300_000);

const hasAll = (f: Finding, voucherNos: string[]) => voucherNos.every((v) => f.entries.some((e) => e.voucherNo === v));

describe('the rules over the demo county', () => {
  it('runs all 15 rules and prints the findings per rule', () => {
    expect(findings.size).toBe(15);
    const clean = new Set(truth.clean);
    const table = rules.map((r) => {
      const list = findings.get(r.id)!;
      return {
        rule: r.id,
        findings: list.length,
        planted: truth.planted.filter((p) => p.rules.includes(r.id)).length,
        'clean villages': list.filter((f) => f.villageCode !== null && clean.has(f.villageCode)).length,
      };
    });
    console.log(`findings per rule on ${truth.county}, asOf ${truth.asOf} (${t.database.kind})`);
    console.table(table);
  });

  it('finds every planted anomaly with all of its vouchers', () => {
    const missed: string[] = [];
    for (const p of truth.planted) {
      const candidates = p.rules.flatMap((id) => findings.get(id) ?? []);
      const hit = p.village
        ? candidates.find((f) => f.villageCode === p.village && hasAll(f, p.voucherNos))
        : candidates.find((f) => f.villageCode === null && f.regionCode === p.region && f.period === String(p.year));
      if (!hit) missed.push(`${p.rules.join('|')} ${p.village ?? p.region} ${p.voucherNos.join(' ')}`);
    }
    expect(missed).toEqual([]);
  });

  it('stays quiet on the clean villages (at most 0.5 findings per village-year)', async () => {
    const clean = new Set(truth.clean);
    const rows = await t.database.db
      .selectDistinct({ villageCode: ledgerEntries.villageCode, year: ledgerEntries.year })
      .from(ledgerEntries)
      .where(
        and(inArray(ledgerEntries.villageCode, truth.clean), eq(ledgerEntries.status, 'published'), lte(ledgerEntries.date, truth.asOf)),
      );
    const villageYears = rows.length;
    expect(villageYears).toBeGreaterThanOrEqual(2 * truth.clean.length);
    const perRule = Object.fromEntries(
      rules.map((r) => [r.id, findings.get(r.id)!.filter((f) => f.villageCode !== null && clean.has(f.villageCode)).length]),
    );
    const total = Object.values(perRule).reduce((s, n) => s + n, 0);
    console.log(`clean villages: ${total} findings over ${villageYears} village-years`, perRule);
    for (const f of [...findings.values()].flat().filter((f) => f.villageCode !== null && clean.has(f.villageCode)))
      console.log('  clean:', f.subject, f.summary);
    expect(total).toBeLessThanOrEqual(0.5 * villageYears);
  });

  it('gives every finding a subject, a sentence and its evidence', () => {
    for (const rule of rules) {
      for (const f of findings.get(rule.id)!) {
        expect(f.subject).toBeTruthy();
        expect(f.title).toBeTruthy();
        expect(f.summary.length).toBeGreaterThan(10);
        expect(['high', 'medium', 'low']).toContain(f.severity);
        if (f.villageCode !== null) {
          expect(scope.villages).toContain(f.villageCode);
          expect(f.regionCode).toBe(f.villageCode);
        }
        for (const e of f.entries) {
          expect(e.voucherNo).toMatch(/\S/);
          expect(Number.isSafeInteger(e.amountFen)).toBe(true);
          expect(e.date <= scope.asOf).toBe(true);
        }
        // Money reads in yuan: no raw fen figure ends up in the sentence.
        expect(f.summary).not.toMatch(/\d+ ?分/);
      }
    }
  });

  it('is deterministic, with subjects unique per rule', async () => {
    for (const rule of rules) {
      const params = paramsOf(rule);
      const first = findings.get(rule.id)!;
      expect(rule.evaluate(inputs.get(rule.id), params, scope), rule.id).toEqual(first);
      expect(new Set(first.map((f) => f.subject)).size, rule.id).toBe(first.length);
    }
    const again = await runAll();
    for (const rule of rules) expect(again.get(rule.id), rule.id).toEqual(findings.get(rule.id));
  });

  it('finds the same with every rule in one statement, as a check run reads them', async () => {
    for (const run of [scope, { ...scope, wholeCounties: true }]) {
      const found = await inOneStatement(run);
      for (const rule of rules) expect(found.get(rule.id), rule.id).toEqual(findings.get(rule.id));
    }
  });

  it('the one statement leaves the settings of the transaction as it found them', async () => {
    const settings = async (db: Parameters<typeof queryRows>[0]) =>
      (await queryRows<{ nestloop: string; jit: string }>(db, sql`select current_setting('enable_nestloop') as nestloop, current_setting('jit') as jit`))[0];
    const queries = rules.map((rule) => rule.query(scope, paramsOf(rule)));
    await t.database.db.transaction(async (tx) => {
      const before = await settings(tx);
      await queryRules(tx, scope, queries);
      expect(await settings(tx)).toEqual(before);
      // A caller's own choice stays too (a check run turns JIT off for the whole county).
      await tx.execute(sql`set local jit = off`);
      await tx.execute(sql`set local enable_nestloop = off`);
      await queryRules(tx, scope, queries);
      expect(await settings(tx)).toEqual({ nestloop: 'off', jit: 'off' });
    });
  });

  it('checks one village alone as it checks it in the county', async () => {
    const village = truth.planted.find((p) => p.rules.includes('split-payment'))!.village!;
    const one: RuleScope = { ...scope, villages: [village] };
    for (const rule of rules.filter((r) => r.id !== 'benford')) {
      const params = paramsOf(rule);
      const alone = rule.evaluate(await gatherInput(t.database.db, rule, one, params), params, one);
      expect(alone, rule.id).toEqual(findings.get(rule.id)!.filter((f) => f.villageCode === village));
    }
  });

  it('checks one township in one statement as it checks it in the county, its first digits against the other townships', async () => {
    // A run of some villages of a county: most rules read the scope's own spending, benford and
    // peer-outlier the county's too (lib.ts spendingCtes: spend and county_spend).
    const planted = truth.planted.find((p) => p.rules.includes('benford'))!;
    const township = planted.region!;
    const part: RuleScope = { ...scope, villages: scope.villages.filter((v) => v.startsWith(township.slice(0, 9))) };
    expect(part.villages.length).toBeGreaterThan(1);
    expect(part.villages.length).toBeLessThan(scope.villages.length);
    const inPart = (f: Finding) => (f.villageCode ? part.villages.includes(f.villageCode) : f.regionCode === township);
    const found = await inOneStatement(part);
    for (const rule of rules) expect(found.get(rule.id), rule.id).toEqual(findings.get(rule.id)!.filter(inPart));
    expect(findings.get('benford')!.filter(inPart).length).toBeGreaterThan(0);
  });

  it('split-payment reads as candidates every payment a split can hold, whatever the thresholds of each village', async () => {
    // The reference: splitGroups over every undecided payment with a counterparty (no filter in
    // SQL), with T_major and the window set lower in one township and higher in another, so the
    // widest window and the smallest T_major come from different villages.
    const rule = rules.find((r) => r.id === 'split-payment')!;
    const townships = [...new Set(scope.villages.map((v) => `${v.slice(0, 9)}000`))].sort();
    const base = rule.params.parse({}) as SplitParams;
    const settings: [string, SplitParams][] = [
      [truth.county, base],
      [townships[0]!, { ...base, majorFen: 300_000, windowDays: 10 }],
      [townships[1]!, { ...base, majorFen: 2_000_000, windowDays: 90 }],
    ];
    for (const params of [new Map(settings.slice(0, 1)), new Map(settings)]) {
      const found = rule.evaluate(await gatherInput(t.database.db, rule, scope, params), params, scope);
      const every = await queryJson(
        t.database.db,
        sql`with ${spendingCtes(scope)}
          select ${evidenceColumns}, e.counterparty, s.account_code as "accountCode", ${accountNameColumn}, e.summary
            from ${withDetails} where s.in_scope and s.party_key is not null and not s.decided`,
      );
      const reference = rule.evaluate(every, params, scope);
      expect(found.length).toBeGreaterThan(0);
      expect(found).toEqual(reference);
    }
  });

  it('round-amounts reads every village-year its own settings can report, whatever accounts each village leaves out', async () => {
    // The reference: evaluate over every undecided expense of the scope (no filter in SQL). One
    // township keeps the subsidy account 515 that the others leave out, another leaves out 514
    // too, so the accounts left out differ from village to village.
    const rule = rules.find((r) => r.id === 'round-amounts')!;
    const townships = [...new Set(scope.villages.map((v) => `${v.slice(0, 9)}000`))].sort();
    // (The demo's amounts are seldom round: a unit of one jiao makes about one in ten round.)
    const base = { share: 0.1, minCount: 10, minAmountFen: 20_000, unitFen: 10 };
    const settings: [string, unknown][] = [
      [truth.county, rule.params.parse(base)],
      [townships[0]!, rule.params.parse({ ...base, excludeAccounts: ['51301'] })],
      [townships[1]!, rule.params.parse({ ...base, excludeAccounts: ['51301', '515', '514'] })],
    ];
    const every = await queryJson(
      t.database.db,
      sql`with ${spendingCtes(scope)}
        select ${evidenceColumns}, s.account_code as "accountCode" from ${withDetails} where s.in_scope and not s.decided`,
    );
    for (const params of [new Map(settings.slice(0, 1)), new Map(settings)]) {
      const found = rule.evaluate(await gatherInput(t.database.db, rule, scope, params as never), params as never, scope);
      const reference = rule.evaluate({ entries: every } as never, params as never, scope);
      expect(found.length).toBeGreaterThan(0);
      expect(found).toEqual(reference);
    }
  });

  it('normalises invoice numbers, refs and names in SQL as in evaluate', async () => {
    const samples = [
      ' 5124 7733 841 ',
      '５１２４－７７３３－８４１',
      'ab—12',
      'No.　x-1',
      '决－2025－01',
      '青山县 底洞（普通合伙）',
      '崔\u00a0伟',
      '',
    ];
    for (const v of samples) {
      const [row] = await queryRows<{ ref: string; party: string }>(
        t.database.db,
        sql`select ${normalizeRefSql(sql`${v}::text`)} as ref, ${partyKeySql(sql`${v}::text`)} as party`,
      );
      expect(row, v).toEqual({ ref: normalizeRef(v), party: partyKey(v) });
    }
  });

  it('related-party looks up as stored keys every payee evaluate takes for an official trading on their own account', async () => {
    const payees = ['崔伟（个体户）', '崔伟 (个体工商户)', '崔伟个体', '崔伟（个体', '崔伟个人', '崔　伟', '崔伟五金店', '崔伟（个人）'];
    for (const payee of payees) {
      const [row] = await queryRows<{ stored: string; name: string }>(
        t.database.db,
        sql`select ${partyKeySql(sql`${payee}::text`)} as stored, ${partyKeySql(sql`${'崔伟'}::text`)} as name`,
      );
      const looked = OWN_ACCOUNT_SUFFIXES.some((suffix) => row!.stored === row!.name + suffix);
      expect(looked, payee).toBe(namesPerson(payee, '崔伟') !== null);
    }
  });

  it('benford counts the first digits of every expense but fixed payments, whatever makes a payment fixed', async () => {
    // The reference: every expense of the county (its spending, no filter in SQL), less the
    // accounts left out and the amounts a village paid `recurring` times or more in one account
    // in one year, counted in JS. recurring 1 leaves everything out, 0 keeps every amount.
    const rule = rules.find((r) => r.id === 'benford')!;
    const every = await queryJson(
      t.database.db,
      sql`with ${spendingCtes(scope)} select s.village_code as "villageCode", s.year, s.account_code as account, s.amount_fen as "amountFen" from county_spend s`,
    );
    const exclude = (rule.params.parse({}) as { excludeAccounts: string[] }).excludeAccounts;
    const key = (r: Record<string, unknown>) => `${String(r.villageCode)}|${Number(r.year)}|${String(r.account)}|${Number(r.amountFen)}`;
    const times = new Map<string, number>();
    for (const r of every) times.set(key(r), (times.get(key(r)) ?? 0) + 1);
    for (const recurring of [0, 1, 2, 3, 5]) {
      const params = new Map(codes.map((c) => [c, rule.params.parse({ recurring })]));
      const reference = new Map<string, number[]>();
      for (const r of every) {
        if (exclude.includes(String(r.account)) || (recurring > 0 && times.get(key(r))! >= recurring)) continue;
        const villageYear = `${String(r.villageCode)}|${Number(r.year)}`;
        const counts = reference.get(villageYear) ?? Array<number>(10).fill(0);
        counts[Number(String(r.amountFen)[0])]! += 1;
        reference.set(villageYear, counts);
      }
      const gathered = (await gatherInput(t.database.db, rule, scope, params)) as { year: number; villages: { code: string; counts: number[] }[] }[];
      const found = new Map(gathered.flatMap((c) => c.villages.map((v) => [`${v.code}|${c.year}`, v.counts] as const)));
      expect(found, `recurring ${recurring}`).toEqual(reference);
      if (recurring === 1) expect(found.size).toBe(0);
      else expect(found.size).toBeGreaterThan(0);
    }
  });

  it('judges publication at asOf from the publications as stored', async () => {
    const rule = rules.find((r) => r.id === 'publication-overdue')!;
    const run = async (asOf: string, over: Record<string, unknown> = {}) => {
      const s: RuleScope = { ...scope, asOf };
      const params = new Map(codes.map((c) => [c, rule.params.parse(over)]));
      return rule.evaluate(await gatherInput(t.database.db, rule, s, params), params, s);
    };
    // The demo published everything through 2025-12 on 2026-01-15 (China time).
    const missing = await run('2026-02-20');
    expect(missing.map((f) => f.villageCode)).toEqual(scope.villages);
    expect(missing.every((f) => f.period === '2026-01' && f.figures.status === 'missing' && f.figures.latestPublished === '2025-12')).toBe(
      true,
    );
    const late = await run('2026-01-20', { deadlineDay: 10 });
    expect(late).toHaveLength(scope.villages.length);
    expect(late[0]).toMatchObject({
      period: '2025-12',
      severity: 'low',
      figures: { status: 'late', publishedOn: '2026-01-15', lateDays: 5 },
    });
    expect(await run('2026-01-12', { deadlineDay: 10 })).toEqual([]);
  });

  it('a reversed expense and its reversal raise nothing', async () => {
    const planted = truth.planted.find((p) => p.rules.includes('single-expense-cap'))!;
    const village = planted.village!;
    const [original] = await t.database.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.villageCode, village), eq(ledgerEntries.voucherNo, planted.voucherNos[0]!)));
    const before = findings.get('single-expense-cap')!.filter((f) => f.entries.some((e) => e.id === original!.id));
    expect(before).toHaveLength(1);

    const ctx = { db: t.database.db, now: t.now, actor: systemActor('test') };
    const { id } = await createReversal({
      ...ctx,
      input: { villageCode: village, entryId: original!.id, date: '2026-01-10', voucherNo: '记-2026-01-901', reason: '误记' },
    });
    // A reversal still in draft changes nothing: only published entries count.
    const draft = await runAll((r) => r.id === 'single-expense-cap');
    expect(draft.get('single-expense-cap')!.filter((f) => f.entries.some((e) => e.id === original!.id))).toHaveLength(1);

    await publish({ ...ctx, signer: t.signer, input: { villageCode: village, through: '2026-01' } });
    const after = await runAll();
    for (const [ruleId, list] of after) {
      const cited = list.filter((f) => f.entries.some((e) => e.id === original!.id || e.id === id));
      expect(cited, ruleId).toEqual([]);
    }
    // Before asOf 2026-01-10 the reversal did not exist yet: the expense still counts.
    const earlier: RuleScope = { ...scope, asOf: '2026-01-09' };
    const single = rules.find((r) => r.id === 'single-expense-cap')!;
    const params = paramsOf(single);
    const then = single.evaluate(await gatherInput(t.database.db, single, earlier, params), params, earlier);
    expect(then.filter((f) => f.entries.some((e) => e.id === original!.id))).toHaveLength(1);
  });
});
