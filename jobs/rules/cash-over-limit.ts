// cash-over-limit: an expense paid in cash exceeds the cash limit (¥1,000 by default).
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import { byDate, evidence, evidenceColumns, paramsFor, quote, villageParams, withDetails, yuan, type EntryRow } from './lib.ts';

export const params = z.object({
  /** A cash payment above this many fen raises an alert. */
  limitFen: z.number().int().positive().default(100_000),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Row extends EntryRow {
  summary: string;
  counterparty: string | null;
}

export const rule = defineRule({
  id: 'cash-over-limit',
  version: 1,
  title: { zh: '现金支付超限额', en: 'Cash payment over the limit' },
  description: {
    zh: '以现金支付的单笔支出超过现金支付限额（默认 ¥1,000）。',
    en: 'An expense paid in cash exceeds the cash limit (¥1,000 by default).',
  },
  basis:
    '《现金管理暂行条例》第五条（结算起点以上的支出应通过银行转账）；《农村集体经济组织财务制度》关于货币资金管理、严格控制现金支付的规定',
  severity: 'medium',
  params,
  query(scope, byRegion) {
    const min = Math.min(...villageParams(byRegion, scope, DEFAULTS).map((p) => p.limitFen));
    return sql`select ${evidenceColumns}, e.summary, e.counterparty
                 from ${withDetails}
                where s.in_scope and s.cash and s.amount_fen > ${min}`;
  },
  evaluate(rows: Row[], byRegion) {
    const findings: Finding[] = [];
    for (const r of [...rows].sort(byDate)) {
      const { limitFen } = paramsFor(byRegion, r.villageCode, DEFAULTS);
      if (r.amountFen <= limitFen) continue;
      findings.push({
        subject: r.id,
        villageCode: r.villageCode,
        regionCode: r.villageCode,
        period: r.date.slice(0, 7),
        severity: 'medium',
        title: '现金支付超限额',
        summary:
          `现金支付 ${yuan(r.amountFen)}，超过现金支付限额 ${yuan(limitFen)}` +
          `（${r.date} 凭证 ${r.voucherNo}${quote(r.summary)}${r.counterparty ? `，收款方 ${r.counterparty}` : ''}）`,
        entries: [evidence(r)],
        figures: { amountFen: r.amountFen, limitFen, excessFen: r.amountFen - limitFen },
      });
    }
    return findings;
  },
});

export default rule;
