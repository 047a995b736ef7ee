// history-spike: a village's monthly total in an account exceeds Q3 + 3·IQR of its own previous
// 24 months (Tukey's far-out fence), given at least 10 months of history. The history is the
// months in which the village spent in that account; spending approved beforehand by a decision
// and fixed cadre pay are left out, and a rise over the village's usual month below the
// materiality level is not reported.
import { sql } from 'drizzle-orm';
import { median, quantile } from 'simple-statistics';
import { z } from 'zod';
import { defineRule, type Finding, type ParamsByRegion, type RuleScope } from './rule.ts';
import {
  byDate,
  cmp,
  evidence,
  groupBy,
  inAccounts,
  inEveryList,
  monthlyEntries,
  monthlyKey,
  monthlyTotalsOf,
  notInAccountsSql,
  paramsFor,
  round,
  sameInputs,
  villageParams,
  yuan,
  type EntryRow,
} from './lib.ts';
import type { Total } from './peer-outlier.ts';

export const params = z.object({
  /** k in Q3 + k·IQR. */
  k: z.number().positive().default(3),
  /** At least this many months with spending in the account among the previous ones. */
  minMonths: z.number().int().min(4).default(10),
  /** How many previous months make the history. */
  lookbackMonths: z.number().int().min(4).default(24),
  /** Materiality: the month must exceed the village's median month by at least this many fen (default T_major ¥10,000). */
  minExcessFen: z.number().int().min(0).default(1_000_000),
  /** Accounts not checked (fixed cadre pay). */
  excludeAccounts: z.array(z.string()).default(['51301']),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Input {
  /** Monthly totals of the scope's series (village, account) that may spike, all months up to asOf. */
  totals: Total[];
  /** The entries behind the candidate months, by `${village}|${account}|${period}`. */
  entries: Record<string, EntryRow[]>;
}

export interface Spike {
  total: Total;
  months: number;
  q1Fen: number;
  q3Fen: number;
  fenceFen: number;
  medianFen: number;
}

const keyOf = monthlyKey;

/** Months since year 0 of a YYYY-MM period (to count months between periods). */
const monthIndex = (period: string) => Number(period.slice(0, 4)) * 12 + Number(period.slice(5, 7)) - 1;

/** The months of the scope's villages that spike above their own history. */
export function historySpikes(totals: Total[], byRegion: ParamsByRegion<Params>, scope: RuleScope): Spike[] {
  const inScope = new Set(scope.villages);
  const series = groupBy(
    totals.filter((t) => inScope.has(t.villageCode)),
    (t) => `${t.villageCode}|${t.account}`,
  );
  const out: Spike[] = [];
  for (const list of series.values()) {
    const first = list[0]!;
    const p = paramsFor(byRegion, first.villageCode, DEFAULTS);
    if (inAccounts(first.account, p.excludeAccounts)) continue;
    const sorted = [...list].sort((a, b) => cmp(a.period, b.period));
    const months = sorted.map((t) => monthIndex(t.period));
    let from = 0;
    for (const [i, t] of sorted.entries()) {
      // A month below the materiality level cannot exceed the median of positive months by it.
      if (t.totalFen < p.minExcessFen) continue;
      // The previous months within the lookback: a run of the sorted series (one total a month).
      const m = months[i]!;
      while (months[from]! < m - p.lookbackMonths) from++;
      const history = sorted.slice(from, i).map((h) => h.totalFen);
      if (history.length < p.minMonths) continue;
      const [q1, q3] = quantile(history, [0.25, 0.75]) as [number, number];
      const fence = q3 + p.k * (q3 - q1);
      const med = median(history);
      if (t.totalFen <= fence || t.totalFen - med < p.minExcessFen) continue;
      out.push({
        total: t,
        months: history.length,
        q1Fen: Math.round(q1),
        q3Fen: Math.round(q3),
        fenceFen: Math.round(fence),
        medianFen: Math.round(med),
      });
    }
  }
  return out.sort((a, b) => cmp(keyOf(a.total), keyOf(b.total)));
}

const monthText = (period: string) => `${period.slice(0, 4)}年${Number(period.slice(5))}月`;

/** historySpikes computed once for gather's pick and evaluate. */
const historySpikesOnce = sameInputs(historySpikes);

export const rule = defineRule({
  id: 'history-spike',
  version: 1,
  title: { zh: '月支出较本村历史异常激增', en: 'Monthly spending spike against own history' },
  description: {
    zh: '某村某科目的月支出超过本村前 24 个月的 Q3 + 3×IQR（至少 10 个月的历史）。',
    en: "A village's monthly total in an account exceeds Q3 + 3·IQR of its own previous 24 months (at least 10 months of history).",
  },
  basis:
    '审计分析性复核程序（《中国注册会计师审计准则第1313号——分析程序》趋势分析）；Tukey 四分位距离群界限；《农村集体经济组织财务制度》关于支出控制的规定',
  severity: 'medium',
  params,
  query(scope, byRegion) {
    const all = villageParams(byRegion, scope, DEFAULTS);
    // The series (village, account) of the scope with a month at the materiality level or more
    // without a decision (a month below it cannot exceed the village's median month by that
    // much), each with every month the village spent in the account.
    return sql`with series as (
          select distinct m.village_code, m.account_code
            from spend_monthly m
           where m.in_scope and m.undecided_fen >= ${Math.min(...all.map((p) => p.minExcessFen))}
             and ${notInAccountsSql(sql`m.account_code`, inEveryList(all.map((p) => p.excludeAccounts)))})
        select m.village_code as "villageCode", m.account_code as account, max(coalesce(a.name, m.account_code)) as "accountName",
               array_agg(m.period order by m.period collate "C") as periods, array_agg(m.undecided_fen order by m.period collate "C") as totals
          from series c
          join spend_monthly m on m.village_code = c.village_code and m.account_code = c.account_code
          left join accounts a on a.standard = m.account_standard and a.code = m.account_code
         where m.undecided_fen > 0
         group by m.village_code, m.account_code
        having count(*) > ${Math.min(...all.map((p) => p.minMonths))}`;
  },
  async gather(db, rows, scope, byRegion) {
    const totals = monthlyTotalsOf(rows);
    return { totals, entries: await monthlyEntries(db, scope, historySpikesOnce(totals, byRegion, scope).map((s) => s.total)) };
  },
  evaluate(input, byRegion, scope) {
    return historySpikesOnce(input.totals, byRegion, scope).map((s): Finding => {
      const t = s.total;
      const p = paramsFor(byRegion, t.villageCode, DEFAULTS);
      const entries = [...(input.entries[keyOf(t)] ?? [])].sort(byDate);
      return {
        subject: `${t.villageCode}:${t.account}:${t.period}`,
        villageCode: t.villageCode,
        regionCode: t.villageCode,
        period: t.period,
        severity: 'medium',
        title: `${t.accountName}月支出较历史激增`,
        summary:
          `${monthText(t.period)}${t.accountName}合计 ${yuan(t.totalFen)}（${entries.length} 笔），` +
          `超过本村此前 ${s.months} 个月的异常上限 ${yuan(s.fenceFen)}（Q3 ${yuan(s.q3Fen)} + ${p.k}×IQR ${yuan(s.q3Fen - s.q1Fen)}），` +
          `约为月中位数 ${yuan(s.medianFen)} 的 ${s.medianFen > 0 ? round(t.totalFen / s.medianFen, 1) : '∞'} 倍`,
        entries: entries.map(evidence),
        figures: {
          accountCode: t.account,
          totalFen: t.totalFen,
          q1Fen: s.q1Fen,
          q3Fen: s.q3Fen,
          fenceFen: s.fenceFen,
          medianFen: s.medianFen,
          excessFen: t.totalFen - s.fenceFen,
          months: s.months,
          k: p.k,
        },
      };
    });
  },
});

export default rule;
