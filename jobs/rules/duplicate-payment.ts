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
  evidenceColumns,
  groupBy,
  paramsFor,
  partyKey,
  quote,
  villageParams,
  detailsOf,
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
  query(scope, byRegion) {
    const maxDays = Math.max(...villageParams(byRegion, scope, DEFAULTS).map((p) => p.days));
    // Payments whose neighbour to the same counterparty of the same amount is within the widest
    // window; the window's sort sees only payments of an amount the village paid more than once.
    return sql`with cand as (
          select s.id, s.village_code, s.party_key, s.account_standard, s.account_code, s.date, s.day, s.amount_fen
            from spend s
           where s.in_scope and s.party_key is not null
             and (s.village_code, s.amount_fen) in (select a.village_code, a.amount_fen from spend_amounts a where a.n >= 2)),
        near as (
          select c.*, c.day - lag(c.day) over w as before, lead(c.day) over w - c.day as after
            from cand c
          window w as (partition by c.village_code collate "C", c.party_key collate "C", c.amount_fen order by c.day))
        select ${evidenceColumns}, e.counterparty, e.summary
          from ${detailsOf(sql`(select * from near n where n.before <= ${maxDays} or n.after <= ${maxDays})`)}`;
  },
  evaluate(rows: Row[], byRegion) {
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
