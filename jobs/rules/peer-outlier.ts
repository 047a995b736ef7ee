// peer-outlier: a village's monthly total in an account is far above the other villages of its
// county in the same account and month: modified z-score 0.6745·(x − median)/MAD > 3.5 over at
// least 8 peers (Iglewicz & Hoaglin). Spending approved beforehand by a decision (projects under
// 四议两公开) and fixed cadre pay are left out, peers are the villages that spent in the account
// that month, and an excess over the peers' median below the materiality level is not reported.
import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding, type ParamsByRegion, type RuleScope } from './rule.ts';
import {
  byDate,
  cmp,
  countyOf,
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
  type MonthlyTotal,
} from './lib.ts';

export const params = z.object({
  /** Modified z-score above which a month is an outlier. */
  threshold: z.number().positive().default(3.5),
  /** At least this many other villages of the county spent in the account that month. */
  minPeers: z.number().int().min(2).default(8),
  /** Materiality: the month must exceed the peers' median by at least this many fen (default T_major ¥10,000). */
  minExcessFen: z.number().int().min(0).default(1_000_000),
  /** Accounts not compared (fixed cadre pay). */
  excludeAccounts: z.array(z.string()).default(['51301']),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

/** A village's spending in one account and month (without decision-backed entries). */
export type Total = MonthlyTotal;

export interface Input {
  /** Monthly totals of the cells (county, account, month) where a village of the scope may stand out, every village of the county. */
  totals: Total[];
  /** The entries behind the candidate months, by `${village}|${account}|${period}`. */
  entries: Record<string, EntryRow[]>;
}

export interface Outlier {
  total: Total;
  peers: number;
  medianFen: number;
  madFen: number;
  z: number;
}

const keyOf = monthlyKey;

/** The months of the scope's villages that are outliers among their county's peers. */
export function peerOutliers(totals: Total[], byRegion: ParamsByRegion<Params>, scope: RuleScope): Outlier[] {
  const inScope = new Set(scope.villages);
  const cells = groupBy(totals, (t) => `${countyOf(t.villageCode)}|${t.account}|${t.period}`);
  // Each cell's positive totals sorted once, and how many of them each village has (one, as
  // gathered): the peers' median is then read off without sorting for every village, and only
  // the months above it by the materiality level are examined in full.
  const sortedCells = new Map<string, { sorted: number[]; perVillage: Map<string, number> }>();
  const cellOf = (key: string) => {
    let c = sortedCells.get(key);
    if (!c) {
      const positive = cells.get(key)!.filter((o) => o.totalFen > 0);
      const perVillage = new Map<string, number>();
      for (const o of positive) perVillage.set(o.villageCode, (perVillage.get(o.villageCode) ?? 0) + 1);
      c = { sorted: positive.map((o) => o.totalFen).sort((a, b) => a - b), perVillage };
      sortedCells.set(key, c);
    }
    return c;
  };
  const out: Outlier[] = [];
  for (const t of totals) {
    if (!inScope.has(t.villageCode) || t.totalFen <= 0) continue;
    const p = paramsFor(byRegion, t.villageCode, DEFAULTS);
    // A month below the materiality level cannot exceed the median of positive totals by it.
    if (t.totalFen < p.minExcessFen) continue;
    if (inAccounts(t.account, p.excludeAccounts)) continue;
    const key = `${countyOf(t.villageCode)}|${t.account}|${t.period}`;
    const cell = cellOf(key);
    if (cell.perVillage.get(t.villageCode) === 1) {
      // The peers are the cell without this one total: their count and median directly.
      const n = cell.sorted.length - 1;
      if (n < p.minPeers) continue;
      const r = cell.sorted.indexOf(t.totalFen);
      const at = (i: number) => cell.sorted[i < r ? i : i + 1]!;
      const med = n % 2 === 1 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
      if (t.totalFen - med < p.minExcessFen) continue;
    }
    const peers = cells
      .get(key)!
      .filter((o) => o.villageCode !== t.villageCode && o.totalFen > 0)
      .map((o) => o.totalFen);
    if (peers.length < p.minPeers) continue;
    const med = median(peers);
    const mad = medianAbsoluteDeviation(peers);
    if (mad === 0) continue;
    const z = (0.6745 * (t.totalFen - med)) / mad;
    if (z <= p.threshold || t.totalFen - med < p.minExcessFen) continue;
    out.push({ total: t, peers: peers.length, medianFen: Math.round(med), madFen: Math.round(mad), z });
  }
  return out.sort((a, b) => cmp(keyOf(a.total), keyOf(b.total)));
}

const monthText = (period: string) => `${period.slice(0, 4)}年${Number(period.slice(5))}月`;

/** peerOutliers computed once for gather's pick and evaluate. */
const peerOutliersOnce = sameInputs(peerOutliers);

export const rule = defineRule({
  id: 'peer-outlier',
  version: 1,
  title: { zh: '月支出显著高于同县各村', en: 'Monthly spending far above peer villages' },
  description: {
    zh: '某村某科目的月支出远高于同县其他村同科目同月的水平：修正 z 值 0.6745·(x−中位数)/MAD 大于 3.5，且可比村不少于 8 个。',
    en: "A village's monthly total in an account is far above the other villages of its county: modified z-score > 3.5 with at least 8 peers.",
  },
  basis:
    '审计分析性复核程序（《中国注册会计师审计准则第1313号——分析程序》）；Iglewicz & Hoaglin 修正 z 值离群检验；《农村集体经济组织财务制度》关于支出控制的规定',
  severity: 'medium',
  params,
  query(scope, byRegion) {
    const all = villageParams(byRegion, scope, DEFAULTS);
    // The cells (county, account, month) where a village of the scope spent at least the
    // materiality level without a decision (a month below it cannot exceed its peers' median by
    // that much), with every positive total of the cell: the peers are the county's villages,
    // in scope or not.
    return sql`with cells as (
          select distinct left(m.village_code, 6) as county, m.account_code, m.period
            from spend_monthly m
           where m.in_scope and m.undecided_fen >= ${Math.min(...all.map((p) => p.minExcessFen))}
             and ${notInAccountsSql(sql`m.account_code`, inEveryList(all.map((p) => p.excludeAccounts)))})
        select c.account_code as account, c.period, max(coalesce(a.name, m.account_code)) as "accountName",
               array_agg(m.village_code order by m.village_code collate "C") as villages,
               array_agg(m.undecided_fen order by m.village_code collate "C") as totals
          from cells c
          join spend_monthly m on left(m.village_code, 6) = c.county and m.account_code = c.account_code and m.period = c.period
          left join accounts a on a.standard = m.account_standard and a.code = m.account_code
         where m.undecided_fen > 0
         group by c.county, c.account_code, c.period
        having count(*) > ${Math.min(...all.map((p) => p.minPeers))}`;
  },
  async gather(db, rows, scope, byRegion) {
    const totals = monthlyTotalsOf(rows);
    return { totals, entries: await monthlyEntries(db, scope, peerOutliersOnce(totals, byRegion, scope).map((o) => o.total)) };
  },
  evaluate(input, byRegion, scope) {
    return peerOutliersOnce(input.totals, byRegion, scope).map((o): Finding => {
      const t = o.total;
      const p = paramsFor(byRegion, t.villageCode, DEFAULTS);
      const entries = [...(input.entries[keyOf(t)] ?? [])].sort(byDate);
      return {
        subject: `${t.villageCode}:${t.account}:${t.period}`,
        villageCode: t.villageCode,
        regionCode: t.villageCode,
        period: t.period,
        severity: 'medium',
        title: `${t.accountName}月支出显著高于同县各村`,
        summary:
          `${monthText(t.period)}${t.accountName}合计 ${yuan(t.totalFen)}（${entries.length} 笔），` +
          `同县其他 ${o.peers} 个村同月中位数 ${yuan(o.medianFen)}（MAD ${yuan(o.madFen)}），修正 z 值 ${o.z.toFixed(1)}，超过 ${p.threshold}`,
        entries: entries.map(evidence),
        figures: {
          accountCode: t.account,
          totalFen: t.totalFen,
          medianFen: o.medianFen,
          madFen: o.madFen,
          excessFen: t.totalFen - o.medianFen,
          z: round(o.z, 2),
          threshold: p.threshold,
          peers: o.peers,
        },
      };
    });
  },
});

export default rule;
