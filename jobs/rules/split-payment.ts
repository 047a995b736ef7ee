// split-payment (拆分报账): two or more expenses to the same counterparty within the window, each
// below the major-matter standard, together at or above it — one payment cut up so that none
// needs a decision. The pieces of one payment share its account, so payments are grouped by
// counterparty and account; payments covered by a prior decision and cadre pay are not splits.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import {
  accountNameColumn,
  byDate,
  cmp,
  daysBetween,
  evidence,
  evidenceColumns,
  groupBy,
  inAccounts,
  inEveryList,
  notInAccountsSql,
  paramsFor,
  partyKey,
  villageParams,
  detailsOf,
  yuan,
  type EntryRow,
} from './lib.ts';

export const params = z.object({
  /** T_major in fen: each payment is below it, together at or above it. */
  majorFen: z.number().int().positive().default(1_000_000),
  /** The first and the last payment of a group are at most this many days apart. */
  windowDays: z.number().int().positive().default(30),
  /** Accounts whose payments are never splits (fixed cadre pay). */
  excludeAccounts: z.array(z.string()).default(['51301']),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Row extends EntryRow {
  counterparty: string;
  accountCode: string;
  accountName: string;
  summary: string;
}

/**
 * Groups of one village's payments to one counterparty in one account (sorted by date): every
 * window of payments starting at one and running `windowDays` on whose total reaches T_major (with
 * at least two payments, each below T_major) qualifies, and overlapping qualifying windows are
 * merged, so each split is reported once with all of its pieces.
 */
export function splitGroups<T extends EntryRow>(
  sorted: T[],
  p: Pick<Params, 'majorFen' | 'windowDays'>,
): { entries: T[]; maxWindowFen: number }[] {
  const items = sorted.filter((e) => e.amountFen < p.majorFen);
  const groups: { entries: T[]; maxWindowFen: number }[] = [];
  let current: { from: number; to: number; maxWindowFen: number } | null = null;
  for (let i = 0; i < items.length; i++) {
    let j = i;
    let total = items[i]!.amountFen;
    while (j + 1 < items.length && daysBetween(items[i]!.date, items[j + 1]!.date) <= p.windowDays) {
      j++;
      total += items[j]!.amountFen;
    }
    if (j === i || total < p.majorFen) continue;
    if (current && i <= current.to) {
      current.to = Math.max(current.to, j);
      current.maxWindowFen = Math.max(current.maxWindowFen, total);
    } else {
      if (current) groups.push({ entries: items.slice(current.from, current.to + 1), maxWindowFen: current.maxWindowFen });
      current = { from: i, to: j, maxWindowFen: total };
    }
  }
  if (current) groups.push({ entries: items.slice(current.from, current.to + 1), maxWindowFen: current.maxWindowFen });
  return groups;
}

export const rule = defineRule({
  id: 'split-payment',
  version: 1,
  title: { zh: '拆分报账', en: 'Split payments' },
  description: {
    zh: '同一收款方在时间窗口内（默认 30 天）有两笔以上同一科目的支出，每笔都低于重大事项标准，合计却达到该标准（拆分报账、规避民主决策）。',
    en: 'Two or more expenses to the same counterparty within the window (30 days), each below T_major, together at or above it.',
  },
  basis:
    '《中国共产党农村基层组织工作条例》第十九条“四议两公开”；《农村集体经济组织财务制度》关于不得化整为零、拆分报账规避民主决策和审批的规定',
  severity: 'high',
  params,
  query(scope, byRegion) {
    const all = villageParams(byRegion, scope, DEFAULTS);
    const maxMajor = Math.max(...all.map((p) => p.majorFen));
    const minMajor = Math.min(...all.map((p) => p.majorFen));
    const maxWindow = Math.max(...all.map((p) => p.windowDays));
    const excluded = notInAccountsSql(sql`m.account_code`, inEveryList(all.map((p) => p.excludeAccounts)));
    // A window of W days touches at most ⌊W/28⌋ + 2 calendar months (month starts are 28 days or
    // more apart).
    const span = Math.floor(maxWindow / 28) + 2;
    // 1. Months that can hold a split: those of a run of `span` consecutive months of a village
    //    and account whose spending not covered by a decision reaches the smallest T_major (every
    //    split lies within such a run; the monthly sums are shared with other rules).
    // 2. Candidates: undecided payments below the largest T_major to a counterparty in those
    //    months, in an account where the payments within the widest window either side of it
    //    (itself included) are two or more and reach the smallest T_major. Every payment of a
    //    split lies in such a span (its group's window starts at most a window before it and ends
    //    at most a window after), and leaving the others out changes no window splitGroups finds:
    //    a window that reaches T_major keeps all of its payments.
    return sql`with runs as (
          select m.village_code, m.account_code, m.month, sum(m.undecided_fen) over w as run_fen
            from spend_monthly m
           where m.in_scope and m.undecided_fen is not null and ${excluded}
          window w as (partition by m.village_code collate "C", m.account_code collate "C" order by m.month range between current row and ${span - 1} following)),
        months as (
          select distinct r.village_code, r.account_code, to_char(make_date((r.month + k) / 12, (r.month + k) % 12 + 1, 1), 'YYYY-MM') as period
            from runs r cross join generate_series(0, ${span - 1}) as k
           where r.run_fen >= ${minMajor}),
        pay as (
          select s.id, s.village_code, s.party_key, s.account_standard, s.account_code, s.date, s.day, s.amount_fen
            from spend s
           where s.in_scope and s.party_key is not null and s.amount_fen < ${maxMajor} and not s.decided
             and (s.village_code, s.account_code, s.period) in (select * from months)),
        near as (
          select p.*, count(*) over w as near_count, sum(p.amount_fen) over w as near_fen
            from pay p
          -- Byte order ("C") for the sort: the partitions are the same, the sort is cheaper.
          window w as (partition by p.village_code collate "C", p.party_key collate "C", p.account_code collate "C" order by p.day
                       range between ${maxWindow} preceding and ${maxWindow} following))
        select ${evidenceColumns}, e.counterparty, s.account_code as "accountCode", ${accountNameColumn}, e.summary
          from ${detailsOf(sql`(select * from near n where n.near_count >= 2 and n.near_fen >= ${minMajor})`)}`;
  },
  evaluate(rows: Row[], byRegion) {
    const byParty = groupBy(rows, (r) => `${r.villageCode}|${partyKey(r.counterparty)}|${r.accountCode}`);
    const findings: Finding[] = [];
    for (const key of [...byParty.keys()].sort(cmp)) {
      const villageCode = key.slice(0, key.indexOf('|'));
      const p = paramsFor(byRegion, villageCode, DEFAULTS);
      const list = byParty
        .get(key)!
        .filter((r) => !inAccounts(r.accountCode, p.excludeAccounts))
        .sort(byDate);
      for (const { entries: group, maxWindowFen } of splitGroups(list, p)) {
        const first = group[0]!;
        const last = group[group.length - 1]!;
        const total = group.reduce((s, e) => s + e.amountFen, 0);
        const span = daysBetween(first.date, last.date);
        findings.push({
          subject: first.id,
          villageCode,
          regionCode: villageCode,
          period: first.date.slice(0, 7),
          severity: 'high',
          title: '疑似拆分报账',
          summary:
            `${first.date} 至 ${last.date}（${span} 天）向「${first.counterparty}」支付${first.accountName} ${group.length} 笔，` +
            `每笔均低于重大事项标准 ${yuan(p.majorFen)}，${span <= p.windowDays ? `合计 ${yuan(total)}` : `${p.windowDays} 天内合计最高 ${yuan(maxWindowFen)}（共 ${yuan(total)}）`}，` +
            `达到该标准（凭证 ${group.map((e) => e.voucherNo).join('、')}）`,
          entries: group.map(evidence),
          figures: {
            totalFen: total,
            maxWindowFen,
            majorFen: p.majorFen,
            count: group.length,
            spanDays: span,
            windowDays: p.windowDays,
            accountCode: first.accountCode,
            counterparty: first.counterparty,
          },
        });
      }
    }
    return findings;
  },
});

export default rule;
