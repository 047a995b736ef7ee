// round-amounts: in a village's year, the share of expenses of ¥1,000 or more that are whole
// multiples of ¥100 exceeds 20% (N ≥ 30) — real bills rarely come out round; made-up ones do.
// Pay and subsidy accounts, whose amounts are set round, are left out; so are payments approved
// beforehand by a decision (contract prices are agreed in round figures).
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import {
  byDate,
  cmp,
  evidence,
  evidenceColumns,
  groupBy,
  inAccounts,
  jsonParam,
  notInAccountsSql,
  paramsFor,
  percent,
  round,
  splitLists,
  detailsOf,
  yuan,
  type EntryRow,
} from './lib.ts';

export const params = z.object({
  /** Share of round amounts above which the year is reported. */
  share: z.number().gt(0).lt(1).default(0.2),
  /** At least this many expenses of the minimum amount or more in the year. */
  minCount: z.number().int().positive().default(30),
  /** Only expenses of at least this many fen count (¥1,000). */
  minAmountFen: z.number().int().positive().default(100_000),
  /** Round means a whole multiple of this many fen (¥100). */
  unitFen: z.number().int().positive().default(10_000),
  /** Pay and subsidy accounts (报酬; 其他支出 holds relief and subsidies). */
  excludeAccounts: z.array(z.string()).default(['51301', '515']),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Row extends EntryRow {
  accountCode: string;
}

export interface Input {
  /** The counted expenses of the village-years whose round share may be too high (by each village's settings). */
  entries: Row[];
}

export const rule = defineRule({
  id: 'round-amounts',
  version: 1,
  title: { zh: '整百金额占比异常', en: 'Too many round amounts' },
  description: {
    zh: '某村一年中 ¥1,000 以上的支出里，整百元金额的占比超过 20%（不少于 30 笔；不含报酬、补助类科目）。',
    en: 'The share of expenses of ¥1,000 or more that are multiples of ¥100 exceeds 20% with N ≥ 30 (pay and subsidy accounts excluded).',
  },
  basis:
    '审计数字分析中的整数（舍入）检验（Nigrini, Forensic Analytics：round-number test）；《中华人民共和国会计法》第十四条（原始凭证应真实）',
  severity: 'low',
  params,
  query(scope, byRegion) {
    // Each village's counted expenses, with its own settings; the village-years whose share of
    // round amounts exceeds the threshold (a hair below it, so that no rounding in SQL can hide
    // one) come back with all of their counted expenses for evaluate to judge again.
    const settings = scope.villages.map((village) => {
      const p = paramsFor(byRegion, village, DEFAULTS);
      return { village, minAmount: p.minAmountFen, unit: p.unitFen, exclude: p.excludeAccounts, share: p.share, minCount: p.minCount };
    });
    // The accounts every village leaves out are left out by a constant filter; a village's own
    // list is looked at (a subquery per expense) only for an account some other village keeps.
    const { everywhere, somewhere } = splitLists(settings.map((p) => p.exclude));
    const ownList = somewhere.length
      ? sql`and (${notInAccountsSql(sql`s.account_code`, somewhere)} or not exists (select 1 from unnest(p.exclude) x where starts_with(s.account_code, x)))`
      : sql``;
    return sql`with p as (
          select * from json_to_recordset(${jsonParam(settings)})
                     as p(village text, "minAmount" bigint, unit bigint, exclude text[], share float8, "minCount" int)),
        counted as (
          select s.id, s.village_code, s.date, s.amount_fen, s.account_standard, s.account_code,
                 left(s.period, 4) as year, s.amount_fen % p.unit = 0 as round
            from spend s join p on p.village = s.village_code
           where s.in_scope and not s.decided and s.amount_fen >= ${Math.min(...settings.map((p) => p.minAmount))}
             and ${notInAccountsSql(sql`s.account_code`, everywhere)} and s.amount_fen >= p."minAmount" ${ownList}),
        high as (
          select c.village_code, c.year
            from counted c join p on p.village = c.village_code
           group by c.village_code, c.year
          having count(*) >= max(p."minCount") and count(*) filter (where c.round) > max(p.share) * count(*) - 1e-9)
        select ${evidenceColumns}, s.account_code as "accountCode"
          from ${detailsOf(sql`(select c.* from counted c join high o on o.village_code = c.village_code and o.year = c.year)`)}`;
  },
  gather: async (_db, rows) => ({ entries: rows as unknown as Row[] }),
  evaluate(input, byRegion) {
    const groups = groupBy(input.entries, (e) => `${e.villageCode}|${e.date.slice(0, 4)}`);
    const findings: Finding[] = [];
    for (const key of [...groups.keys()].sort(cmp)) {
      const [villageCode, year] = key.split('|') as [string, string];
      const p = paramsFor(byRegion, villageCode, DEFAULTS);
      const counted = groups.get(key)!.filter((e) => e.amountFen >= p.minAmountFen && !inAccounts(e.accountCode, p.excludeAccounts));
      if (counted.length < p.minCount) continue;
      const roundOnes = counted.filter((e) => e.amountFen % p.unitFen === 0).sort(byDate);
      const share = roundOnes.length / counted.length;
      if (share <= p.share) continue;
      findings.push({
        subject: `${villageCode}:${year}`,
        villageCode,
        regionCode: villageCode,
        period: year,
        severity: 'low',
        title: '整百金额支出占比偏高',
        summary:
          `${year}年 ${yuan(p.minAmountFen)} 以上的 ${counted.length} 笔支出中有 ${roundOnes.length} 笔是 ${yuan(p.unitFen)} 的整数倍，` +
          `占 ${percent(share)}，超过 ${percent(p.share, 0)}`,
        entries: roundOnes.map(evidence),
        figures: {
          count: counted.length,
          roundCount: roundOnes.length,
          share: round(share, 4),
          threshold: p.share,
          minAmountFen: p.minAmountFen,
          unitFen: p.unitFen,
        },
      });
    }
    return findings;
  },
});

export default rule;
