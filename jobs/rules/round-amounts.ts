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
  groupBy,
  inAccounts,
  num,
  paramsFor,
  percent,
  queryRows,
  round,
  spendingCtes,
  villageParams,
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
  /** The counted expenses of the scope's villages (amount ≥ the loosest minimum), by village and year. */
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
  async gather(db, scope, byRegion) {
    const all = villageParams(byRegion, scope, DEFAULTS);
    const minAmount = Math.min(...all.map((p) => p.minAmountFen));
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`with ${spendingCtes(scope)}
        select s.id, s.village_code, s.voucher_no, s.date, s.amount_fen, s.account_code
          from spend s
         where s.amount_fen >= ${minAmount} and not s.decided
         order by s.village_code, s.date, s.voucher_no`,
    );
    return {
      entries: rows.map((r): Row => ({
        id: String(r.id),
        villageCode: String(r.village_code),
        voucherNo: String(r.voucher_no),
        date: String(r.date),
        amountFen: num(r.amount_fen),
        accountCode: String(r.account_code),
      })),
    };
  },
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
