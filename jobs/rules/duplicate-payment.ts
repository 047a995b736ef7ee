// duplicate-payment: the same village pays the same counterparty the same amount within ±7 days
// under different voucher numbers — a bill paid twice.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import {
  byDate,
  cmp,
  daysBetween,
  evidence,
  groupBy,
  num,
  paramsFor,
  partyKey,
  queryRows,
  quote,
  spendingCtes,
  villageParams,
  yuan,
  type EntryRow,
} from './lib.ts';

export const params = z.object({
  /** Two payments at most this many days apart are duplicates. */
  days: z.number().int().min(0).default(7),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Row extends EntryRow {
  counterparty: string;
  summary: string;
}

/** Chains of payments (sorted by date) each at most `days` after the previous one, with ≥2 different voucher numbers. */
export function duplicateChains<T extends EntryRow>(sorted: T[], days: number): T[][] {
  const chains: T[][] = [];
  let current: T[] = [];
  for (const e of sorted) {
    const prev = current[current.length - 1];
    if (prev && daysBetween(prev.date, e.date) <= days) current.push(e);
    else {
      if (current.length) chains.push(current);
      current = [e];
    }
  }
  if (current.length) chains.push(current);
  return chains.filter((c) => new Set(c.map((e) => e.voucherNo)).size >= 2);
}

export const rule = defineRule({
  id: 'duplicate-payment',
  version: 1,
  title: { zh: '疑似重复付款', en: 'Duplicate payment' },
  description: {
    zh: '同一村在 ±7 天内以不同凭证号向同一收款方支付相同金额。',
    en: 'Same village, counterparty and amount within ±7 days under different voucher numbers.',
  },
  basis: '《中华人民共和国会计法》第二十五条（不得重复列支）；《农村集体经济组织财务制度》关于支出审核、报销审批的规定',
  severity: 'high',
  params,
  async gather(db, scope, byRegion) {
    const maxDays = Math.max(...villageParams(byRegion, scope, DEFAULTS).map((p) => p.days));
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`with ${spendingCtes(scope)},
        cand as (
          select s.id, s.village_code, s.voucher_no, s.date, s.amount_fen, s.counterparty, s.summary,
                 lag(s.date) over w as prev_date, lead(s.date) over w as next_date
            from spend s
           where s.counterparty is not null
          window w as (partition by s.village_code, s.party_key, s.amount_fen
                       order by s.date, s.voucher_no))
        select id, village_code, voucher_no, date, amount_fen, counterparty, summary
          from cand
         where (prev_date is not null and date::date - prev_date::date <= ${maxDays})
            or (next_date is not null and next_date::date - date::date <= ${maxDays})
         order by village_code, date, voucher_no`,
    );
    return rows.map((r): Row => ({
      id: String(r.id),
      villageCode: String(r.village_code),
      voucherNo: String(r.voucher_no),
      date: String(r.date),
      amountFen: num(r.amount_fen),
      counterparty: String(r.counterparty),
      summary: String(r.summary),
    }));
  },
  evaluate(rows, byRegion) {
    const groups = groupBy(rows, (r) => `${r.villageCode}|${partyKey(r.counterparty)}|${r.amountFen}`);
    const findings: Finding[] = [];
    for (const key of [...groups.keys()].sort(cmp)) {
      const villageCode = key.slice(0, key.indexOf('|'));
      const { days } = paramsFor(byRegion, villageCode, DEFAULTS);
      for (const chain of duplicateChains([...groups.get(key)!].sort(byDate), days)) {
        const first = chain[0]!;
        const last = chain[chain.length - 1]!;
        const span = daysBetween(first.date, last.date);
        findings.push({
          subject: first.id,
          villageCode,
          regionCode: villageCode,
          period: first.date.slice(0, 7),
          severity: 'high',
          title: '疑似重复付款',
          summary:
            `${span} 天内以 ${chain.length} 张不同凭证向「${first.counterparty}」各支付 ${yuan(first.amountFen)}` +
            `（${chain.map((e) => `${e.date} ${e.voucherNo}${quote(e.summary)}`).join('、')}），合计 ${yuan(first.amountFen * chain.length)}`,
          entries: chain.map(evidence),
          figures: { amountFen: first.amountFen, count: chain.length, totalFen: first.amountFen * chain.length, spanDays: span, days },
        });
      }
    }
    return findings;
  },
});

export default rule;
